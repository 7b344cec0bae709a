# medflow — `make run` and `make test` work on a fresh Debian machine: they install what is missing first.

SWIFT   ?= swift
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Build dependencies (C libraries) and the tools the tests cross-check against (zstd, lz4 CLIs).
APT_PKGS := libpcap-dev liblz4-dev libzstd-dev liblzo2-dev libbz2-dev pkg-config zstd lz4
# Optional peers the flow-export tests compare against (they skip without them): nfcapd/nfpcapd/nfdump, softflowd.
PEER_PKGS := nfdump softflowd
SAMPLE  := datasets/sample-loopback.pcap.zst
HOSPITAL := datasets/hospital-2h
OUT     := out/hospital

.PHONY: all deps peers build release run test tsan bench fuzz clean hospital-sample

all: build

# Installs the Debian packages when a library or tool is missing (apt-get, with sudo when not root).
deps:
	@missing=""; \
	pkg-config --exists libpcap libzstd liblz4 lzo2 2>/dev/null || missing="libs"; \
	[ -f /usr/include/bzlib.h ] || missing="$$missing bz2"; \
	command -v zstd >/dev/null 2>&1 || missing="$$missing zstd"; \
	command -v lz4 >/dev/null 2>&1 || missing="$$missing lz4"; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing $(APT_PKGS)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS) >/dev/null; \
	fi

# Installs the optional peer tools (best effort: the tests skip what is missing).
peers:
	@command -v nfcapd >/dev/null 2>&1 && command -v softflowd >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(PEER_PKGS) >/dev/null || true; }

build: deps
	$(SWIFT) build

# Release binaries carry the Swift runtime and Foundation (--static-swift-stdlib): they start in about 20 ms
# instead of 28 (no dynamic binding of libFoundation's symbols) and run on lab hardware without Swift.
RELEASE_FLAGS := -c release --static-swift-stdlib
release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

# Builds release, analyses the bundled synthetic hospital and scores the findings against its truth.
run: release
	.build/release/medflow analyze $(HOSPITAL).pcap.zst --policy $(HOSPITAL).policy.yaml --out $(OUT) --flows
	.build/release/medflow eval $(OUT) $(HOSPITAL).truth.json
	@echo "Look inside: zstdcat $(OUT)/flows.ndjson.zst | head | jq .   (truth: $(HOSPITAL).truth.json)"

# Regenerates the bundled hospital sample (deterministic; needs the zstd tool).
hospital-sample: release
	scripts/make-hospital-sample.sh

test: deps
	$(SWIFT) test

# The concurrent pipeline's tests under ThreadSanitizer (own build directory, so it does not disturb the
# normal one): parallel decoding, sharded flow tables, sinks on background queues, parallel scoring,
# findings encoded side by side.
TSAN_TESTS ?= FlowAssemblerStepTests|FlowPairerShardingTests|WorkerCountTests|SideBySideFlushTests|FlowBatchOrderTests|FlowBatchBuilderTests|SinkFeederTests|PipelineTotalsTests|FlowInputPipelineTests|DamagedInputTests|FlowCapacityEndToEndTests|FlowAssemblerTests|BeaconDetectorTests|BeaconEndToEndTests|FindingWriterTests|GuessedChunkEndPipelineTests
tsan: deps
	$(SWIFT) test --sanitize=thread --scratch-path .build/tsan --filter '$(TSAN_TESTS)'

# Runs the benchmark suites (a separate package under Benchmarks/, release build).
bench: deps
	cd Benchmarks && $(SWIFT) package benchmark --no-progress

# Builds the libFuzzer targets (a separate package under Fuzz/, ASan) and runs each for FUZZ_SECONDS, one
# after another at nice 10; FUZZ_TARGETS names some of them (see Fuzz/fuzz.sh). Findings land in
# .build/fuzz-artifacts/, new corpus entries in .build/fuzz-corpus/ (both outside git).
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= all
fuzz: deps
	SWIFT=$(SWIFT) Fuzz/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf .build out Benchmarks/.build
