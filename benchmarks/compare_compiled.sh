#!/bin/sh
# Pure against compiled replay, beside the parse-only baselines, in one run (RESULTS.md).
#   benchmarks/compare_compiled.sh DIR ROUNDS
# DIR holds events.jsonl and base.db (both extracts imported), and site/: the
# compiled wheel unpacked (pip wheel --no-deps -w whl . && unzip -d DIR/site whl/*.whl).
set -eu
dir=$1; rounds=${2:-3}
py=$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python
cd "$dir"
for round in $(seq 1 "$rounds"); do
  "$py" -c "
import json, time, orjson
t = time.perf_counter()
for line in open('events.jsonl', 'rb'):
    try: json.loads(line)
    except ValueError: pass
a = time.perf_counter() - t
t = time.perf_counter()
for line in open('events.jsonl', 'rb'):
    try: orjson.loads(line)
    except orjson.JSONDecodeError: pass
print(f'round $round json.loads {a:.3f} orjson {time.perf_counter() - t:.3f}')"
  for build in pure compiled; do
    cp base.db run.db
    if [ "$build" = compiled ]; then path=site; else path=; fi
    PYTHONPATH=$path "$py" -m eventfilter --db sqlite:///run.db replay events.jsonl --json |
      "$py" -c "import json, sys; d = json.load(sys.stdin); print('round $round $build', d['seconds'], d['events_per_second'])"
  done
done
rm -f run.db run.db-wal run.db-shm
