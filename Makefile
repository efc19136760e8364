# Rearguard — `make run` opens the app on a demo profile, `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Tests never need a screen; `make run` uses the real one.
TEST_ENV := QT_QPA_PLATFORM=offscreen QT_API=pyside6

.PHONY: install run test lint types imports pytest bench package clean

install: $(STAMP)

# Re-installs only when pyproject.toml or the lock file changed; otherwise does nothing.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/python -m gui.demo

lint: install
	$(BIN)/ruff check engine gui tests packaging
	$(BIN)/ruff format --check engine gui tests packaging

types: install
	$(BIN)/mypy

imports: install
	$(BIN)/lint-imports

pytest: install
	$(TEST_ENV) $(BIN)/python -m pytest

test: lint types imports pytest

# Benchmarks against the reference tools (rsync, cp, rclone), full size. BENCH_FILES=N to change.
bench: install
	@command -v rsync >/dev/null || (command -v apt-get >/dev/null && apt-get install -y -qq rsync >/dev/null) || echo "rsync not available: ratios against rsync are skipped"
	$(BIN)/python tests/benchmarks/bench_mirror.py --files $${BENCH_FILES:-100000}
	$(BIN)/python tests/benchmarks/bench_rclone.py --files $${BENCH_FILES:-100000}
	$(TEST_ENV) $(BIN)/python tests/benchmarks/bench_gui.py --files $${BENCH_FILES:-100000}
	$(TEST_ENV) $(BIN)/python -m pytest tests/benchmarks -m bench -s -k "not full_size"  # bench_rclone.py ran above

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache

# The packaged app: dist/rearguard/ (rearguard, rearguard-cli), smoke-tested, and its archive
# dist/rearguard-VERSION-OS-ARCH.tar.gz|.zip. The release workflow runs the same script on each OS.
package: install
	$(BIN)/python packaging/build.py

# The full reliability suite: SIGKILL at 50+ moments per job kind, injected faults, thousands of
# generated bad inputs, concurrency, secrets, a 500-run soak. Writes tests/reliability/figures.json
# (the README's "What we test" figures). `make test` runs the same tests at a small size.
.PHONY: reliability
reliability: install
	REARGUARD_RELIABILITY_FULL=1 $(TEST_ENV) $(BIN)/python -m pytest tests/reliability -m reliability --timeout 1800
