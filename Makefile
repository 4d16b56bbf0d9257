SHELL := /bin/bash
# Sockeye — make demo | make test | make bench | make fuzz
# Each target installs what it needs on Debian/Ubuntu (apt-get) when it is missing.

SWIFT      ?= swift
DEMO_FILE  ?= Fixtures/tcp-handshake-data-fin.pcap
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_DEPS   := libpcap-dev libssl-dev zlib1g-dev libzstd-dev liblz4-dev tcpdump tshark gzip zstd lz4
BENCH_DIR  ?= /tmp/sockeye-bench

PREFIX     ?= /usr/local
MAN_PAGE   := .build/plugins/GenerateManual/outputs/sockeye/sockeye.1

.PHONY: deps demo test build release bench bench-large bench-smoke fuzz fuzz-smoke fuzz-replay clean install uninstall install-check docs

## Install system packages the build and tests need (libpcap, libcrypto, zlib, libzstd, liblz4 headers; tcpdump and
## tshark as test oracles; gzip, zstd, lz4 to compress fixtures in the tests).
deps:
	@missing=""; \
	pkg-config --exists libpcap 2>/dev/null || missing="$$missing libpcap-dev"; \
	pkg-config --exists libcrypto 2>/dev/null || missing="$$missing libssl-dev"; \
	pkg-config --exists zlib 2>/dev/null || missing="$$missing zlib1g-dev"; \
	pkg-config --exists libzstd 2>/dev/null || missing="$$missing libzstd-dev"; \
	pkg-config --exists liblz4 2>/dev/null || missing="$$missing liblz4-dev"; \
	command -v gzip    >/dev/null 2>&1 || missing="$$missing gzip"; \
	command -v zstd    >/dev/null 2>&1 || missing="$$missing zstd"; \
	command -v lz4     >/dev/null 2>&1 || missing="$$missing lz4"; \
	command -v tcpdump >/dev/null 2>&1 || missing="$$missing tcpdump"; \
	command -v tshark  >/dev/null 2>&1 || missing="$$missing tshark"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  echo "wireshark-common wireshark-common/install-setuid boolean false" | $(SUDO) debconf-set-selections && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## Analyze a bundled capture: the main job in one command.
demo: release
	.build/release/sockeye analyze $(DEMO_FILE)

## Every test suite (unit, fixture, tshark differential, CLI end to end, live capture on lo, the
## fuzz regression inputs), after a seconds-long run of each fuzz target.
test: deps
	$(MAKE) fuzz-smoke FUZZ_SMOKE_SECONDS=5
	$(SWIFT) build
	TZ=UTC $(SWIFT) test --no-parallel --disable-xctest 2>&1 | tee .build/test-output.txt; exit $${PIPESTATUS[0]}

FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 10
## Every libFuzzer target for FUZZ_SECONDS each, one at a time (FuzzTesting/README.md).
fuzz: deps
	cd FuzzTesting && ./run.sh $(FUZZ_SECONDS)

## Build the fuzz targets and run each for a few seconds; fails on any crash.
fuzz-smoke: deps
	cd FuzzTesting && ./run.sh $(FUZZ_SMOKE_SECONDS)

## Replay Fixtures/fuzz/ through the fuzz binaries (no fuzzing).
fuzz-replay: deps
	cd FuzzTesting && ./run.sh replay

## Time sockeye against limit.c, tcpdump and tshark on the 1M-packet / 20k-flow workload (one run,
## one table) and check its flow summary against the ground truth. SKIP=tshark skips slow peers.
bench: deps
	scripts/bench.sh

## 5M packets / 200k flows: peak RSS of sockeye analyze (target ≤ 64 MB); tcpdump and tshark skipped.
bench-large: deps
	scripts/bench.sh --large

## Benchmarks/ suites, a few iterations each; fails if decode, checksum or a steady-state flow update allocates.
bench-smoke: deps
	cd Benchmarks && SOCKEYE_BENCH_SMOKE=1 $(SWIFT) package benchmark thresholds check --no-progress

## Install the release binary, its man page (generated from the argument parser) and bash, zsh and
## fish completions under $(DESTDIR)$(PREFIX) (default /usr/local).
install: release
	$(SWIFT) package plugin generate-manual >/dev/null
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 .build/release/sockeye $(DESTDIR)$(PREFIX)/bin/sockeye
	install -m 644 $(MAN_PAGE) $(DESTDIR)$(PREFIX)/share/man/man1/sockeye.1
	.build/release/sockeye --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sockeye
	.build/release/sockeye --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sockeye
	.build/release/sockeye --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sockeye.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/sockeye $(DESTDIR)$(PREFIX)/share/man/man1/sockeye.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sockeye $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sockeye \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sockeye.fish

## Install into a scratch prefix and check what landed there (run by .ci/run after the tests).
install-check:
	@d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	$(MAKE) --no-print-directory install PREFIX="$$d" >/dev/null && \
	"$$d/bin/sockeye" --version | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$$' && \
	grep -q 'analyze' "$$d/share/man/man1/sockeye.1" && grep -q '^\.Dt SOCKEYE 1' "$$d/share/man/man1/sockeye.1" && \
	grep -q '_sockeye' "$$d/share/bash-completion/completions/sockeye" && \
	grep -q '#compdef sockeye' "$$d/share/zsh/site-functions/_sockeye" && \
	grep -q "complete -c 'sockeye'" "$$d/share/fish/vendor_completions.d/sockeye.fish" && \
	bash -c 'source "$$1/share/bash-completion/completions/sockeye" && complete -p sockeye' _ "$$d" >/dev/null && \
	echo "install-check: binary, man page and completions installed and working" || \
	{ echo "install-check: FAILED" >&2; exit 1; }

## DocC documentation of every library (Sources/*/*.docc), into .build/plugins/Swift-DocC/outputs.
DOC_TARGETS := PacketCodec Pcap FlowAnalysis Reports FlowPipeline
docs:
	@for t in $(DOC_TARGETS); do $(SWIFT) package generate-documentation --target $$t --warnings-as-errors >/dev/null || exit 1; done
	@echo "docs: $(DOC_TARGETS) in .build/plugins/Swift-DocC/outputs"

clean:
	rm -rf .build .build-* Benchmarks/.build FuzzTesting/.build
