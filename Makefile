# The README's two commands are `make demo` and `make test`.
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-quick lint system-deps bench clean

$(STAMP): pyproject.toml constraints.txt scripts/install.sh
	bash scripts/install.sh

demo: $(STAMP)
	$(BIN)/qiaolink demo

system-deps:
	bash scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy common signing media hub overseas_node govnet_sim

test: $(STAMP) system-deps lint
	$(BIN)/pytest -q -p no:cacheprovider -rfE --durations=25

test-quick: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider tests/unit

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var build *.egg-info
