# A thin wrapper over meson (as Neovim wraps CMake): the two Quick start commands are
# `make run` and `make test`. Both install what is missing first and are safe to repeat.
BUILD      ?= build
ASAN_BUILD ?= build-asan
MESON      ?= meson
PY         ?= python3
EXAMPLE    ?= tests/fixtures/demo/shapes.py:29:11

.PHONY: all deps test-deps build run test test-asan bench fuzz valgrind clean

all: build

# Build dependencies (Debian packages, grammar sources from npm). Idempotent: only what is
# missing is installed.
deps:
	@$(PY) tests/tools/deps.py build

# Everything the whole suite needs (editors, clangd, chromium, clang for fuzzing) on top.
test-deps:
	@$(PY) tests/tools/deps.py test

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --buildtype=debugoptimized

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The main job with no API keys: one completion on a bundled example file.
run: build
	./$(BUILD)/understudy complete $(EXAMPLE)

# The whole suite; the last line printed is `N passed, N failed`.
test: test-deps build
	@$(PY) tests/tools/run_suite.py $(BUILD)

$(ASAN_BUILD)/build.ninja:
	$(MESON) setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: test-deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	@$(PY) tests/tools/run_suite.py $(ASAN_BUILD)

bench: build
	@$(PY) tests/bench/run.py $(BUILD)

# libFuzzer targets (clang, ASan+UBSan), each run for FUZZ_SECONDS from its seed corpus.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 30
$(FUZZ_BUILD)/build.ninja:
	CC=clang $(MESON) setup $(FUZZ_BUILD) --buildtype=debug -Dfuzz=true \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link

fuzz: test-deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	@$(PY) tests/fuzz/run.py $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Integration tests with the server under valgrind (also part of `make test`).
valgrind: build
	$(MESON) test -C $(BUILD) --suite valgrind --print-errorlogs

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
