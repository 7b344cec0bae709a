# medflow — `make run` and `make test` work on a fresh Debian machine: they install what is missing first.

SWIFT   ?= swift
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Build dependencies (C libraries) and the tools the tests cross-check against (zstd, lz4 CLIs).
APT_PKGS := libpcap-dev liblz4-dev libzstd-dev pkg-config zstd lz4
SAMPLE  := datasets/sample-loopback.pcap.zst
OUT     := out/sample

.PHONY: all deps build release run test bench clean

all: build

# Installs the Debian packages when a library or tool is missing (apt-get, with sudo when not root).
deps:
	@missing=""; \
	pkg-config --exists libpcap libzstd liblz4 2>/dev/null || missing="libs"; \
	command -v zstd >/dev/null 2>&1 || missing="$$missing zstd"; \
	command -v lz4 >/dev/null 2>&1 || missing="$$missing lz4"; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing $(APT_PKGS)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS) >/dev/null; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Builds release and analyses the bundled sample.
run: release
	.build/release/medflow analyze $(SAMPLE) --out $(OUT) --flows
	@echo "Look inside: zstdcat $(OUT)/flows.ndjson.zst | head | jq ."

test: deps
	$(SWIFT) test

# Runs the benchmark suites (a separate package under Benchmarks/, release build).
bench: deps
	cd Benchmarks && $(SWIFT) package benchmark --no-progress

clean:
	rm -rf .build out Benchmarks/.build
