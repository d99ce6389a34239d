# Everything runs in a local virtualenv that the first target creates:
# a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := .demo

.PHONY: demo serve screenshots test lint typecheck unit contract bench bench-large clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,postgres,amqp,web]'
	touch $(STAMP)

## demo: replay the bundled samples on a fresh SQLite database and show the summary
demo: $(STAMP)
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/eventfilter --db sqlite:///$(DEMO)/eventfilter.db replay samples/events.jsonl \
		--persons samples/persons.jsonl --cases samples/cases.jsonl --out $(DEMO)/decisions.jsonl; \
		status=$$?; [ $$status -eq 0 ] || [ $$status -eq 3 ]
	@echo
	@echo "Next: $(BIN)/eventfilter --db sqlite:///$(DEMO)/eventfilter.db review list"
	@echo "  or: make serve   (the review queue in the browser)"

## serve: the web review queue on the demo database (run `make demo` first);
## sign in as `demo` with the password `demo-password`
serve: $(STAMP)
	$(BIN)/eventfilter --db sqlite:///$(DEMO)/eventfilter.db caseworkers add demo --name "Demo Caseworker" \
		--municipality 101 --municipality 510 --municipality 561 --municipality 573 \
		--municipality 1280 --municipality 1480 --municipality 1481
	echo demo-password | $(BIN)/eventfilter --db sqlite:///$(DEMO)/eventfilter.db caseworkers password demo --password-stdin
	$(BIN)/eventfilter --db sqlite:///$(DEMO)/eventfilter.db serve

## screenshots: retake docs/screenshots/ (the browser tests take them from the samples)
screenshots: $(STAMP)
	EVENTFILTER_SCREENSHOTS=1 $(BIN)/pytest -q tests/e2e/test_web_browser.py -k screenshots

## test: lint, types, the pure-core contract, then the whole test suite
test: lint typecheck
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

## contract: the worked scenarios of ../shared/spec through the CLI
contract: $(STAMP)
	EF_EXE=$(CURDIR)/$(BIN)/eventfilter $(BIN)/python ../shared/tools/check_contract.py ../shared/spec/examples

## bench: the pytest-benchmark suites (see benchmarks/RESULTS.md)
bench: $(STAMP)
	$(BIN)/pytest benchmarks -q --benchmark-only

## bench-large: a national world, its import, a national month, the growth table
## (an hour and ~10 GB of disk; see benchmarks/RESULTS.md)
bench-large: $(STAMP)
	$(BIN)/python -m benchmarks.national --dir .benchmarks/national

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache .benchmarks
