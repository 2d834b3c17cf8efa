# ccpulse: `make run` installs, builds and shows your sessions; `make test` runs every test.
BUN := node_modules/.bin/bun
PREFIX ?= $(HOME)/.local
SOURCES := $(shell find src shell -type f) package.json

.PHONY: run build check test test-tools install uninstall clean bench prices fuzz e2e

run: dist/ccpulse
	@./dist/ccpulse

build: dist/ccpulse

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

# --no-compile-autoload-*: a compiled binary would otherwise load .env and bunfig.toml from whatever
# directory the prompt or tmux happens to be in. --bytecode: start-up without parsing the JS, measured
# 8.1 → 5.5 ms for `ccpulse --version` (hello-world: 3.3 ms).
# --compile-jit-policy: no JIT until a call has megabytes to scan (src/main.ts, src/read/transcript.ts).
# The chunks' source maps are named by content hash: without the rm, every build left its old ones.
dist/ccpulse: node_modules/.installed $(SOURCES)
	rm -f dist/*.map
	$(BUN) build src/main.ts --compile --splitting --minify --sourcemap --bytecode --format=esm \
	  --compile-jit-policy=1000 --no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile $@

check: node_modules/.installed
	node_modules/.bin/tsc -p .

# The tmux and prompt tests drive the real programs (one zsh test suspends a terminal's output with
# python3's termios.tcflow), the time-zone tests read the system's zoneinfo, and the end-to-end test brings
# up loopback in its network namespace with ip; install whichever is missing (Debian/Ubuntu).
TEST_TOOLS := tmux zsh fish python3
test-tools:
	@missing=""; for t in $(TEST_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	[ -f /usr/share/zoneinfo/Europe/Berlin ] || missing="$$missing tzdata"; \
	command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing="$$missing iproute2"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing with apt-get"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

# Every test, then the real Claude Code end to end (about 20 s; the CLI is installed from npm once).
test: check test-tools dist/ccpulse test/e2e/node_modules/.installed
	$(BUN) test
	bash test/e2e/run.sh

# Longer than in `make test`: 30 s per fuzz target (5 targets), 50 callers x 100 rounds (5000 runs of the
# binary) and 200 kills for the fault tests; about 5 minutes. CCPULSE_FUZZ_SEED=<seed> replays a failure.
fuzz: dist/ccpulse
	CCPULSE_FUZZ_SECONDS=30 CCPULSE_FAULT_ROUNDS=100 CCPULSE_FAULT_KILLS=200 $(BUN) test test/fuzz test/faults

# The real Claude Code (npm, pinned in test/e2e/package.json) driven through every state against a fake
# API, offline in a network namespace (run.sh); ccpulse json must follow each step. About 20 s.
test/e2e/node_modules/.installed: test/e2e/package.json
	npm install --prefix test/e2e --no-audit --no-fund --loglevel=error
	@touch $@

e2e: dist/ccpulse test/e2e/node_modules/.installed
	bash test/e2e/run.sh

install: dist/ccpulse
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 dist/ccpulse $(DESTDIR)$(PREFIX)/bin/ccpulse

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ccpulse

clean:
	rm -rf dist

# The embedded price table, regenerated from the shared copy of Claude Code's baked catalog.
prices:
	$(BUN) src/derive/prices.gen.ts ../shared/pricing.json

# Numbers only, never pass/fail. BENCH_SCALES=small for a quick run; the large scale needs ~6 GB free;
# huge-line is a home with one 100 MB line, for the memory target.
bench: dist/ccpulse
	bash bench/run.sh
