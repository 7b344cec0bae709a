import FlowModel
import Testing

/// ``FlowBatch/sortedByFirstSeen()``: the order sinks see flows in, whatever shard ended them.
@Suite struct FlowBatchOrderTests {
    /// `count` flows with first-seen times drawn from `span` values, so ties are common.
    static func flows(count: Int, span: UInt64, seed: UInt64) -> [FlowRecord] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            return z ^ (z >> 31)
        }
        return (0..<count).map { _ in
            let first = Int64(next() % span)
            // Every column gets values of its own, so a gather that mixed two columns up would show.
            return FlowRecord(src: IPAddress(v4: UInt32(truncatingIfNeeded: next() % 4)),
                              dst: IPAddress(high: next() % 2, low: next()), srcPort: UInt16(next() % 3),
                              dstPort: UInt16(truncatingIfNeeded: next()), proto: UInt8(truncatingIfNeeded: next()),
                              flags: FlowRecord.Flags(rawValue: UInt8(next() % 4)), firstSeen: first,
                              lastSeen: first + Int64(next() % 3), packetsOut: next() % 1000, bytesOut: next(),
                              packetsIn: next(), bytesIn: next(), tcpFlagsOut: UInt8(truncatingIfNeeded: next()),
                              tcpFlagsIn: UInt8(truncatingIfNeeded: next()),
                              endReason: FlowRecord.EndReason(rawValue: UInt8(next() % 6))!)
        }
    }

    /// 70 000 flows take the gather whose columns are filled concurrently (from 65 536 on).
    @Test(arguments: [(0, 1), (1, 1), (500, 10), (500, 1_000_000), (3000, 40), (70_000, 5000)])
    func sortsByFirstSeenThenLastSeenAddressPortAndPosition(count: Int, span: Int) {
        let records = Self.flows(count: count, span: UInt64(span), seed: UInt64(count + span))
        var batch = FlowBatch()
        for record in records { batch.append(record) }
        let expected = records.indices.sorted {
            let (a, b) = (records[$0], records[$1])
            return (a.firstSeen, a.lastSeen, a.src.low, a.srcPort, $0) < (b.firstSeen, b.lastSeen, b.src.low, b.srcPort, $1)
        }.map { records[$0] }
        #expect(batch.sortedByFirstSeen().records == expected)
    }

    @Test func anOrderedBatchComesBackUnchanged() {
        var batch = FlowBatch()
        for (i, record) in Self.flows(count: 100, span: 10, seed: 1).enumerated() {
            var record = record
            record.firstSeen = Int64(i) * 10
            record.lastSeen = record.firstSeen + 5
            batch.append(record)
        }
        #expect(batch.sortedByFirstSeen().records == batch.records)
    }

    @Test(arguments: [(1, 900), (2, 900), (3, 900), (2, 70_000)])
    func partsSortAsTheirConcatenation(parts: Int, count: Int) {
        let records = Self.flows(count: count, span: 50, seed: UInt64(parts))
        var whole = FlowBatch()
        var pieces = [FlowBatch](repeating: FlowBatch(), count: parts)
        for (i, record) in records.enumerated() {
            whole.append(record)
            pieces[i * parts / records.count].append(record)
        }
        #expect(FlowBatch.sortedByFirstSeen(pieces).records == whole.sortedByFirstSeen().records)
        #expect(FlowBatch.sortedByFirstSeen(pieces + [FlowBatch()]).count == records.count)
    }
}
