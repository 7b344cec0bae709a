#!/bin/sh
# Regenerates datasets/hospital-2h.pcap.zst, its truth and its policy (deterministic: the same bytes every time).
# The capture is written by `medflow synth`, then recompressed with zstd -19 and a 128 MiB window so the
# bundled sample stays a few MB; medflow, `zstd -dc` and tshark read it as any other .pcap.zst.
set -eu
MEDFLOW=${MEDFLOW:-.build/release/medflow}
OUT=datasets/hospital-2h.pcap.zst
"$MEDFLOW" synth --scenario hospital --hours 2 --start 2026-03-02T06:00:00Z --seed 7 \
    --workstations 30 --upload-mb 52 -o "$OUT"
zstd -q -dc "$OUT" | zstd -q -19 --long=27 -T0 -o "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
ls -l datasets/hospital-2h.*
