# The two commands: `make run` and `make test`. Both set themselves up and are idempotent.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fuzz bench setup browser kubectl lint clean

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
	rm -rf $(VENV) .chatops .pytest_cache
