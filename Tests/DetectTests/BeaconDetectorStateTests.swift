import FlowModel
import Testing
@testable import Detect

/// The detector's table and connection log hold exactly what a dictionary of ``BeaconPairState``s
/// would, however flows are batched, merged and compacted.
@Suite struct BeaconDetectorStateTests {
    /// Random flows over a few pairs (IPv4 and IPv6), with continuations, unanswered attempts and
    /// repeated start times, in arrival (not start) order.
    static func randomFlows(seed: UInt64, count: Int) -> [FlowRecord] {
        var rng = SeededRandom(seed: seed)
        let sources = ["10.0.0.1", "10.0.0.2", "2001:db8::7", "192.168.5.5"].map(FlowFixtures.address)
        let destinations = ["203.0.113.9", "10.0.0.53", "2001:db8::1"].map(FlowFixtures.address)
        return (0..<count).map { _ in
            let start = Int64.random(in: 0...5_000, using: &rng) * 1_000_000_000 + Int64.random(in: 0...3, using: &rng)
            let answered = Int.random(in: 0..<4, using: &rng) != 0
            return FlowRecord(src: sources.randomElement(using: &rng)!, dst: destinations.randomElement(using: &rng)!,
                              srcPort: 40_000, dstPort: [443, 53, 445].randomElement(using: &rng)!,
                              proto: [6, 17].randomElement(using: &rng)!,
                              flags: Int.random(in: 0..<5, using: &rng) == 0 ? .continuation : [],
                              firstSeen: start, lastSeen: start + Int64.random(in: 0...9_000_000_000, using: &rng),
                              packetsOut: 3, bytesOut: UInt64.random(in: 0...3, using: &rng) * 100,
                              packetsIn: answered ? 2 : 0, bytesIn: answered ? 500 : 0)
        }
    }

    /// What the detector must hold: each flow added to its pair's state, then every state normalised.
    static func model(_ records: [FlowRecord], cap: Int) -> [BeaconKey: BeaconPairState] {
        var pairs: [BeaconKey: BeaconPairState] = [:]
        for record in records {
            let key = BeaconKey(src: record.src, dst: record.dst, dport: record.dstPort, proto: record.proto)
            pairs[key, default: BeaconPairState()].add(
                start: record.firstSeen, end: record.lastSeen, bytesOut: record.bytesOut, bytesIn: record.bytesIn,
                answered: record.packetsIn > 0, isContinuation: record.isContinuation, cap: cap)
        }
        for key in pairs.keys { pairs[key]!.normalise(cap: cap) }
        return pairs
    }

    static func feed(_ records: ArraySlice<FlowRecord>, into detector: inout BeaconDetector, batch: Int) {
        for start in stride(from: records.startIndex, to: records.endIndex, by: batch) {
            detector.consume(FlowBatch(records[start..<min(start + batch, records.endIndex)]))
        }
    }

    @Test(arguments: [(UInt64(1), 1, 40), (2, 7, 40), (3, 500, 1_000_000), (4, 64, 25)])
    func tableAndLogMatchADictionaryOfPairStates(seed: UInt64, batch: Int, cap: Int) {
        let records = Self.randomFlows(seed: seed, count: 3_000)
        var configuration = BeaconConfiguration()
        configuration.connectionCap = cap
        var detector = BeaconDetector(configuration: configuration, compactionFloor: 64)
        Self.feed(records[...], into: &detector, batch: batch)
        let model = Self.model(records, cap: cap)
        #expect(detector.pairs == model)
        #expect(detector.pairCount == model.count)
        #expect(detector.flowsSeen == UInt64(records.count))
        // Compaction bounds the log by the cap per pair (twice, between compactions), not by the flows.
        if cap < 100 { #expect(detector.connectionsHeld <= max(64, 2 * cap * model.count)) }
        #expect(model.values.contains { $0.isStrobe } == (cap < 100))
    }

    @Test(arguments: [UInt64(5), 6])
    func mergedPartsMatchTheWhole(seed: UInt64) {
        let records = Self.randomFlows(seed: seed, count: 2_000)
        var configuration = BeaconConfiguration()
        configuration.connectionCap = 30
        var parts: [BeaconDetector] = []
        for part in 0..<3 {
            var detector = BeaconDetector(configuration: configuration, compactionFloor: 100)
            Self.feed(records[(part * 700)..<min(records.count, (part + 1) * 700)], into: &detector, batch: 33)
            parts.append(detector)
        }
        var merged = parts[2]
        merged.merge(parts[0])
        merged.merge(parts[1])
        #expect(merged.pairs == Self.model(records, cap: 30))
        #expect(merged.flowsSeen == UInt64(records.count))
    }

    @Test func prevalenceForSomeDestinationsMatchesTheFullTable() {
        let records = Self.randomFlows(seed: 9, count: 2_000)
        var detector = BeaconDetector()
        Self.feed(records[...], into: &detector, batch: 100)
        let full = detector.prevalenceTable()
        let destinations = Set(records.map(\.dst))
        let sources = Set(records.map(\.src))
        for destination in destinations {
            let expected = Double(Set(records.filter { $0.dst == destination }.map(\.src)).count) / Double(sources.count)
            #expect(full.share(of: destination) == expected)
            #expect(detector.prevalenceTable(for: [destination]).share(of: destination) == expected)
        }
    }
}
