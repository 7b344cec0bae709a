import FlowModel
import Flows
import Testing

/// The pairer against a plain model of its rules, on random records crowded onto few addresses and ports
/// (reverse records, same-direction repeats, spans that do not overlap, ICMP, records with both directions),
/// with every shard count giving the model's flows in the model's order.
@Suite("Flow pairer shards")
struct FlowPairerShardingTests {
    /// A deterministic generator (SplitMix64), so a failure reproduces.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            return mix64(state)
        }
    }

    static func records(count: Int, seed: UInt64) -> [FlowRecord] {
        var random = Generator(state: seed)
        let hosts = (0..<6).map { IPAddress(v4: 0x0A00_0000 | UInt32($0)) } + [IPAddress(high: 0x2001_0DB8 << 32, low: 7)]
        var time: Int64 = 0
        return (0..<count).map { _ in
            time += Int64.random(in: 0...400_000_000, using: &random)
            let src = hosts.randomElement(using: &random)!, dst = hosts.randomElement(using: &random)!
            let proto: UInt8 = [6, 6, 17, 1].randomElement(using: &random)!
            let ports: [UInt16] = [443, 40000, 40001]
            let first = time - Int64.random(in: 0...5_000_000_000, using: &random)
            var record = FlowRecord(src: src, dst: dst, srcPort: ports.randomElement(using: &random)!,
                                    dstPort: ports.randomElement(using: &random)!, proto: proto, firstSeen: first,
                                    lastSeen: time, packetsOut: UInt64.random(in: 1...9, using: &random),
                                    bytesOut: UInt64.random(in: 40...9000, using: &random),
                                    tcpFlagsOut: UInt8.random(in: 0...0x3F, using: &random), endReason: .idle)
            if Int.random(in: 0..<20, using: &random) == 0 { record.packetsIn = 1; record.bytesIn = 60 }
            return record
        }
    }

    /// The pairer's rules, spelled out with a dictionary: what every shard count must give.
    struct Model {
        struct Key: Hashable {
            var src: IPAddress, dst: IPAddress, srcPort: UInt16, dstPort: UInt16, proto: UInt8
            init(_ r: FlowRecord) {
                let icmp = r.proto == 1 || r.proto == 58
                (src, dst, srcPort, dstPort, proto) = (r.src, r.dst, icmp ? r.dstPort : r.srcPort, r.dstPort, r.proto)
            }
            var reversed: Key {
                var k = self
                (k.src, k.dst, k.srcPort, k.dstPort) = (dst, src, dstPort, srcPort)
                return k
            }
        }
        let configuration: FlowPairingConfiguration
        var waiting: [Key: (record: FlowRecord, arrival: Int)] = [:]
        var arrival = 0
        var watermark = Int64.min, lastSweep = Int64.min

        static func merge(_ waiting: FlowRecord, _ arriving: FlowRecord) -> FlowRecord {
            let arrivingFirst = arriving.firstSeen != waiting.firstSeen ? arriving.firstSeen < waiting.firstSeen
                                                                          : arriving.dstPort < arriving.srcPort
            let (initiator, responder) = arrivingFirst ? (arriving, waiting) : (waiting, arriving)
            var flow = initiator
            flow.firstSeen = min(arriving.firstSeen, waiting.firstSeen)
            flow.lastSeen = max(arriving.lastSeen, waiting.lastSeen)
            flow.packetsIn = responder.packetsOut
            flow.bytesIn = responder.bytesOut
            flow.tcpFlagsIn = responder.tcpFlagsOut
            let later = arrivingFirst ? (waiting.lastSeen > arriving.lastSeen ? waiting : arriving)
                                      : (arriving.lastSeen > waiting.lastSeen ? arriving : waiting)
            flow.endReason = later.endReason
            return flow
        }

        mutating func add(_ batch: [FlowRecord]) -> [FlowRecord] {
            var out: [FlowRecord] = []
            for r in batch {
                defer { arrival += 1 }
                watermark = max(watermark, r.lastSeen)
                if r.packetsIn != 0 || r.bytesIn != 0 { out.append(r); continue }
                let key = Key(r)
                let tolerance = configuration.toleranceNs
                if let other = waiting[key.reversed],
                   other.record.firstSeen <= r.lastSeen + tolerance && r.firstSeen <= other.record.lastSeen + tolerance {
                    out.append(Self.merge(other.record, r))
                    waiting[key.reversed] = nil
                    continue
                }
                if let previous = waiting[key] { out.append(previous.record) }
                waiting[key] = (r, arrival)
            }
            if watermark > lastSweep + configuration.holdNs / 8 {
                lastSweep = watermark
                out += sweep(before: watermark - configuration.holdNs)
            }
            return out
        }

        mutating func sweep(before limit: Int64) -> [FlowRecord] {
            let leaving = waiting.filter { $0.value.record.lastSeen < limit }.sorted { $0.value.arrival < $1.value.arrival }
            for (key, _) in leaving { waiting[key] = nil }
            return leaving.map(\.value.record)
        }
    }

    @Test("every shard count gives the model's flows in the model's order",
          arguments: [(1, UInt64(1)), (2, 2), (3, 3), (8, 4), (2, 5)])
    func matchesModel(shards: Int, seed: UInt64) throws {
        let configuration = FlowPairingConfiguration(holdNs: 30_000_000_000)
        let all = Self.records(count: 6000, seed: seed)
        var model = Model(configuration: configuration)
        let pairer = FlowPairer(configuration: configuration, shards: shards)
        var expected: [FlowRecord] = [], actual: [FlowRecord] = []
        var start = 0, size = 1
        while start < all.count {
            let batch = Array(all[start..<min(all.count, start + size)])
            expected += model.add(batch)
            actual += pairer.add(FlowBatch(batch)).records
            start += size
            size = size * 3 % 1000 + 1
        }
        expected += model.sweep(before: .max)
        actual += pairer.finish().records
        #expect(actual.count == expected.count)
        let firstDifference = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "first difference at flow \(firstDifference ?? -1): \(firstDifference.map { "\(actual[$0]) vs \(expected[$0])" } ?? "")")
        #expect(pairer.pendingCount == 0)
        // Every record is in exactly one flow: a merged flow holds two, a record with both directions one.
        let passing = UInt64(all.filter { $0.packetsIn != 0 }.count)
        #expect(pairer.paired * 2 + pairer.unpaired + passing == UInt64(all.count))
        #expect(pairer.paired > 100 && pairer.unpaired > 100)  // the records exercise both outcomes
        #expect(actual.reduce(0) { $0 + $1.packets } == all.reduce(0) { $0 + $1.packets })
    }

    @Test("many waiting records: the tables grow, sweep and shift without losing one")
    func growthAndSweeps() throws {
        // One direction only, every connection distinct: all records wait, then leave by sweeps and at the end.
        let count = 50_000
        let records = (0..<count).map { (i: Int) -> FlowRecord in
            let src = IPAddress(v4: 0x0A00_0000 | UInt32(i % 251))
            let dst = IPAddress(v4: 0x0B00_0000 | UInt32(i / 251))
            let start = Int64(i) * 1_000_000
            return FlowRecord(src: src, dst: dst, srcPort: UInt16(i % 60000), dstPort: 443, proto: 6, firstSeen: start,
                              lastSeen: start + 10, packetsOut: 1, bytesOut: 100)
        }
        let pairer = FlowPairer(configuration: FlowPairingConfiguration(holdNs: 8_000_000_000), shards: 2)
        var out: [FlowRecord] = []
        for start in stride(from: 0, to: count, by: 997) {
            out += pairer.add(FlowBatch(records[start..<min(count, start + 997)])).records
        }
        #expect(pairer.pendingCount < count)  // sweeps sent some on already
        out += pairer.finish().records
        #expect(out == records)  // unpaired, each once, in arrival order
        #expect(pairer.unpaired == UInt64(count) && pairer.paired == 0)
    }
}
