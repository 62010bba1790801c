# The two commands: `make run` and `make test`. Both set themselves up and are idempotent.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fuzz bench setup browser kubectl lint typecheck lowest clean

run: setup
	$(BIN)/chatops serve

test: setup browser kubectl
	$(BIN)/pytest

# The fuzz tests (schemathesis over /api/openapi.json, hypothesis over Assistant.handle) with
# many more examples than `make test` runs; FUZZ_EXAMPLES=N to change how many.
FUZZ_EXAMPLES ?= 300
fuzz: setup
	CHATOPS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/fuzz -p no:cacheprovider

bench: setup
	$(BIN)/python -m bench

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy, strict on chatbot/ intents/ skills/ (configured in pyproject.toml).
typecheck: setup
	$(BIN)/mypy

# The declared ranges are true: the lowest versions pyproject.toml allows for each direct
# dependency (uv's --resolution lowest-direct), in a second environment, running a smoke part
# of the suite: the say flow with audit list and verify, audit verify's tamper checks, the
# store (migrations, a PostgreSQL test when CHATOPS_TEST_DATABASE_URL is set).
LOWEST := .venv-lowest
LOWEST_STAMP := $(LOWEST)/.installed
SMOKE := tests/test_cli.py::test_say_then_yes_completes_the_action \
	tests/governance/test_gov_audit.py::test_the_fast_hash_body_is_the_canonical_json \
	tests/governance/test_gov_audit.py::test_verify_names_the_first_tampered_entry \
	tests/chatbot/test_store.py tests/chatbot/test_store_reads.py

lowest: $(LOWEST_STAMP)
	$(LOWEST)/bin/python -m pytest -q -p no:cacheprovider $(SMOKE)

$(LOWEST_STAMP): pyproject.toml $(STAMP)
	rm -rf $(LOWEST)
	$(BIN)/uv venv --quiet --python $(BIN)/python $(LOWEST)
	$(BIN)/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[dev]'
	touch $(LOWEST_STAMP)

setup: $(STAMP)

# Reinstall only when the project's metadata changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Browser tests use Debian's chromium (Playwright's own download is not available here).
# Without root it cannot be installed; the browser tests then skip and say why.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium missing and not root: browser tests will skip"; fi

# The deploy tests render deploy/kubernetes with Debian's kubectl (`kubectl kustomize`).
kubectl:
	@if command -v kubectl >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's kubectl for the deploy tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl >/dev/null; \
	else echo "kubectl missing and not root: the Kustomize test will skip"; fi

clean:
	rm -rf $(VENV) $(LOWEST) .chatops .pytest_cache
