# A thin wrapper over meson (as Neovim wraps CMake): the two Quick start commands are
# `make run` and `make test`. Both install what is missing first and are safe to repeat.
BUILD      ?= build
ASAN_BUILD ?= build-asan
MESON      ?= meson
PY         ?= python3
EXAMPLE    ?= tests/fixtures/demo/shapes.py:29:11

.PHONY: all deps test-deps build run test test-asan bench fuzz valgrind clean install vsix screenshots

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

# Install the server, the Neovim plugin (where Neovim looks: a start package under
# share/nvim/site), understudy.el (share/emacs/site-lisp) and the docs. DESTDIR for packagers.
PREFIX  ?= /usr/local
DESTDIR ?=
NVIM_PACK = $(DESTDIR)$(PREFIX)/share/nvim/site/pack/understudy/start/understudy
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/emacs/site-lisp \
	  $(DESTDIR)$(PREFIX)/share/doc/understudy $(NVIM_PACK)/lua/understudy
	install -m 755 $(BUILD)/understudy $(DESTDIR)$(PREFIX)/bin/understudy
	install -m 644 editors/nvim/lua/understudy/*.lua $(NVIM_PACK)/lua/understudy/
	install -m 644 editors/emacs/understudy.el $(DESTDIR)$(PREFIX)/share/emacs/site-lisp/
	install -m 644 README.md LICENSE $(DESTDIR)$(PREFIX)/share/doc/understudy/
	install -m 644 editors/README.md $(DESTDIR)$(PREFIX)/share/doc/understudy/editors.md

# The VS Code extension with this machine's server inside (bin/<platform>-<arch>/understudy,
# where the extension looks first): $(BUILD)/understudy-VERSION.vsix. Needs node and npm;
# tsc and @vscode/vsce come pinned from editors/vscode/package-lock.json.
VSIX_PLATFORM ?= $(shell node -p 'process.platform + "-" + process.arch' 2>/dev/null || echo linux-x64)
vsix: build
	cd editors/vscode && { [ -x node_modules/.bin/vsce ] || npm ci --ignore-scripts --no-audit --no-fund; }
	rm -rf editors/vscode/bin
	install -d editors/vscode/bin/$(VSIX_PLATFORM)
	install -m 755 -s $(BUILD)/understudy editors/vscode/bin/$(VSIX_PLATFORM)/understudy
	cd editors/vscode && npx --no-install tsc -p . && npx --no-install vsce package \
	  --allow-missing-repository --skip-license \
	  -o $(abspath $(BUILD))/understudy-$$(node -p 'require("./package.json").version').vsix
	rm -rf editors/vscode/bin

# The docs' screenshots: the editor tests write them to $(BUILD)/screenshots/ (best effort,
# never a check); this copies the ones a test run made into editors/screenshots/, e.g. after
# `meson test -C build editor_nvim editor_emacs editor_vscode`.
SCREENSHOTS = nvim.png emacs.png vscode-ghost.png vscode-popup.png
screenshots:
	@n=0; for f in $(SCREENSHOTS); do \
	  if [ -f $(BUILD)/screenshots/$$f ]; then cp $(BUILD)/screenshots/$$f editors/screenshots/$$f && \
	    echo "editors/screenshots/$$f" && n=$$((n+1)); \
	  else echo "not made by a test run yet: $(BUILD)/screenshots/$$f"; fi; done; \
	[ $$n -gt 0 ] || { echo "no screenshots: run the editor tests first (meson test -C $(BUILD) --suite editors)"; exit 1; }

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
