"""Publish an event file at a steady rate: python -m benchmarks.feeder URL QUEUE FILE RATE."""

from __future__ import annotations

import sys
import time

from eventfilter.adapters.amqp import Topology, publish_events


def main(url: str, queue: str, path: str, rate: float) -> None:
    topology = Topology(queue=queue, partitions=1, decisions=f"{queue}.decisions")
    with open(path, "rb") as f:
        lines = [line.rstrip(b"\r\n") for line in f if line.strip()]
    chunk = max(1, int(rate / 20))  # twenty small bursts a second
    started = time.perf_counter()
    for i in range(0, len(lines), chunk):
        due = started + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        publish_events(url, topology, lines[i : i + chunk])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
