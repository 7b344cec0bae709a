import Dispatch
import FlowModel
import Testing

/// ``FlowBatchBuilder`` hands over what was written, whether its columns are copied out one after
/// another (few flows) or side by side (from ``FlowBatch/parallelGatherThreshold`` flows on).
@Suite struct FlowBatchBuilderTests {
    static func record(_ i: Int) -> FlowRecord {
        let n = UInt64(i)
        return FlowRecord(
            src: IPAddress(high: n &* 3, low: n), dst: IPAddress(high: 0, low: ~n), srcPort: UInt16(truncatingIfNeeded: i),
            dstPort: UInt16(truncatingIfNeeded: i >> 16), proto: UInt8(truncatingIfNeeded: i), flags: i % 3 == 0 ? .continuation : [],
            firstSeen: Int64(i) * 1000, lastSeen: Int64(i) * 1000 + 7, packetsOut: n + 1, bytesOut: n * 60,
            packetsIn: n / 2, bytesIn: n * 40, tcpFlagsOut: UInt8(truncatingIfNeeded: i >> 3),
            tcpFlagsIn: UInt8(truncatingIfNeeded: i >> 5),
            endReason: FlowRecord.EndReason.allCases[i % FlowRecord.EndReason.allCases.count])
    }

    static func records(of batch: FlowBatch) -> [FlowRecord] { (0..<batch.count).map { batch[$0] } }

    @Test(arguments: [0, 1, 100, FlowBatch.parallelGatherThreshold - 1, FlowBatch.parallelGatherThreshold + 17])
    func buildGivesTheRecordsWritten(count: Int) {
        let records = (0..<count).map(Self.record)
        var appended = FlowBatchBuilder(capacity: count)
        for record in records { appended.append(record) }
        #expect(Self.records(of: appended.build()) == records)
        let positioned = FlowBatchBuilder(capacity: count + 5)
        for (i, record) in records.enumerated().reversed() { positioned.write(at: i, record) }
        #expect(Self.records(of: positioned.build(written: count)) == records)
    }

    /// ``FlowBatch/filling(capacity:_:)``: positions written in place, side by side in disjoint ranges,
    /// give the batch of the records written, cut to the count the body returns.
    @Test(arguments: [0, 1, 100, FlowBatch.parallelGatherThreshold + 17])
    func fillingWritesTheBatchInPlace(count: Int) {
        let records = (0..<count).map(Self.record)
        let pieces = 4
        let batch = FlowBatch.filling(capacity: count + 3) { out in
            #expect(out.capacity == count + 3)
            DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                for i in stride(from: count * piece / pieces, to: count * (piece + 1) / pieces, by: 1) {
                    out.write(at: i, records[i])
                }
            }
            return count
        }
        #expect(batch.count == count)
        #expect(Self.records(of: batch) == records)
        #expect(FlowBatch.filling(capacity: 0) { _ in 0 }.isEmpty)
    }
}
