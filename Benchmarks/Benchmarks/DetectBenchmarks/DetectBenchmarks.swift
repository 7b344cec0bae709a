import Benchmark
import Detect
import FlowModel
import Foundation

/// A seeded generator so every run analyses the same flows.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// `pairs` candidate pairs with `perPair` connections each over a day: one in fifty a 60–900 s beacon with
/// 30 % jitter, the rest Poisson. Returned as flow batches of 4096 in end-time order.
func syntheticFlows(pairs: Int, perPair: Int, seed: UInt64) -> [FlowBatch] {
    var rng = SplitMix(state: seed)
    var records: [FlowRecord] = []
    records.reserveCapacity(pairs * perPair)
    for pair in 0..<pairs {
        let src = IPAddress(v4: 0x0A00_0000 | UInt32(pair % 50_000))
        let dst = IPAddress(v4: 0xCB00_7100 | UInt32(pair / 50_000 + 1))
        let beacon = pair % 50 == 0
        let mean = 86_400 / Double(perPair)
        var t = 1_700_000_000.0 + rng.unit() * mean
        for _ in 0..<perPair {
            let ns = Int64(t * 1e9)
            records.append(FlowRecord(src: src, dst: dst, srcPort: UInt16(truncatingIfNeeded: rng.next() | 1024),
                                      dstPort: 443, proto: 6, firstSeen: ns, lastSeen: ns + 150_000_000,
                                      packetsOut: 6, bytesOut: 700, packetsIn: 5, bytesIn: 3_000, endReason: .fin))
            t += beacon ? mean * (0.7 + 0.6 * rng.unit()) : -mean * log1p(-rng.unit())
        }
    }
    records.sort { $0.lastSeen < $1.lastSeen }
    return stride(from: 0, to: records.count, by: 4096).map { FlowBatch(records[$0..<min($0 + 4096, records.count)]) }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .peakMemoryResident],
                                           maxDuration: .seconds(30), maxIterations: 5)

    // Time per million flows: 1 M flows in 10 000 pairs of 100 connections (every pair is scored).
    let millionFlows = syntheticFlows(pairs: 10_000, perPair: 100, seed: 1)
    Benchmark("beacons: 1 M flows, 10 k pairs × 100 (consume + score)") { benchmark in
        for _ in benchmark.scaledIterations {
            var detector = BeaconDetector()
            for batch in millionFlows { detector.consume(batch) }
            blackHole(detector.findings())
        }
    }

    // Time per candidate pair: 100 000 pairs of 8 connections (all above the minimum, all scored).
    let manyPairs = syntheticFlows(pairs: 100_000, perPair: 8, seed: 2)
    Benchmark("beacons: 100 k candidate pairs × 8 (consume + score)") { benchmark in
        for _ in benchmark.scaledIterations {
            var detector = BeaconDetector()
            for batch in manyPairs { detector.consume(batch) }
            blackHole(detector.findings())
        }
    }

    // Intra-flow bursts: 1 M burst starts (as the flow table notes them) in 1 000 long flows.
    var starts: [[BurstStart]] = []
    var step: [BurstStart] = []
    for i in 0..<1_000_000 {
        let flow = UInt32(i % 1_000)
        step.append(BurstStart(a: IPAddress(v4: 0x0A00_0000 | flow), b: IPAddress(v4: 0xCB00_7101),
                               aPort: UInt16(40_000 + flow), bPort: 443, proto: 17, initiatorIsB: false,
                               timestamp: 1_700_000_000_000_000_000 + Int64(i) * 86_400_000))
        if step.count == 65_536 { starts.append(step); step = [] }
    }
    starts.append(step)
    Benchmark("intra-flow burst tracking: 1 M burst starts, 1 000 flows") { benchmark in
        for _ in benchmark.scaledIterations {
            var tracker = BurstTracker()
            for step in starts { tracker.record(step) }
            blackHole(tracker.trackedKeys)
        }
    }

    // The end-of-input flush of a bulk capture: 430 k flows, half of them on the 200 k tracked 5-tuples
    // (the tracker's limit), their counts added to the tracks; the slots and tracks (23 MB) outgrow the
    // caches, so this is lookups missing in memory.
    var tracked = BurstTracker()
    var trackStarts: [BurstStart] = []
    var flushRecords: [FlowRecord] = []
    for i in 0..<430_000 {
        let a = IPAddress(v4: 0x0A00_0000 | UInt32(i)), b = IPAddress(v4: 0xCB00_0000 | UInt32(i % 4_096))
        let aPort = UInt16(1_024 + i % 50_000)
        if i % 2 == 0 && trackStarts.count < 200_000 {
            trackStarts.append(BurstStart(a: a, b: b, aPort: aPort, bPort: 443, proto: 6, initiatorIsB: false,
                                          timestamp: 1_700_000_000_000_000_000 + Int64(i) * 1_000))
        }
        flushRecords.append(FlowRecord(src: a, dst: b, srcPort: aPort, dstPort: 443, proto: 6,
                                       firstSeen: 1_700_000_000_000_000_000 + Int64(i) * 1_000,
                                       lastSeen: 1_700_000_001_000_000_000, packetsOut: 20, bytesOut: 9_000,
                                       packetsIn: 15, bytesIn: 12_000, endReason: .endOfInput))
    }
    var rng = SplitMix(state: 5)
    trackStarts.shuffle(using: &rng)
    flushRecords.shuffle(using: &rng)
    tracked.record(trackStarts)
    let flush = FlowBatch(flushRecords)
    Benchmark("burst totals: 430 k flushed flows over 200 k tracked 5-tuples",
              configuration: .init(maxIterations: 40)) { benchmark in
        var tracker = tracked
        for _ in benchmark.scaledIterations { tracker.addTotals(of: flush) }
        blackHole(tracker.trackedKeys)
    }
}
