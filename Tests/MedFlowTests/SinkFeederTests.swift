import FlowModel
import Testing

@testable import MedFlow

@Suite("Sink feeder")
struct SinkFeederTests {
    /// Records the first-seen time of every flow it gets; throws once it has seen `failAfter` batches.
    final class RecordingSink: FlowSink, @unchecked Sendable {
        var seen: [Int64] = []
        var batches = 0
        var finished = false
        let failAfter: Int?
        init(failAfter: Int? = nil) { self.failAfter = failAfter }
        func consume(_ flows: FlowBatch) throws(AnalysisError) {
            batches += 1
            if let failAfter, batches > failAfter { throw .usage("sink failed at batch \(batches)") }
            seen += flows.firstSeen
        }
        func finish() throws(AnalysisError) { finished = true }
    }

    static func batch(_ index: Int, size: Int = 3) -> FlowBatch {
        FlowBatch((0..<size).map { i in
            FlowRecord(src: IPAddress(v4: 0x0A00_0001), dst: IPAddress(v4: 0x0A00_0002), srcPort: 1, dstPort: 2, proto: 6,
                       firstSeen: Int64(index * size + i), lastSeen: Int64(index * size + i), packetsOut: 1, bytesOut: 40)
        })
    }

    @Test("every sink gets every batch, in order, by the time drain returns", arguments: [true, false])
    func order(background: Bool) throws {
        let first = RecordingSink(), second = RecordingSink()
        let feeder = SinkFeeder(sinks: [first, second], background: background)
        for index in 0..<200 { feeder.feed(Self.batch(index)) }
        let spent = try feeder.drain()
        #expect(spent >= 0)
        #expect(first.seen == (0..<600).map { Int64($0) })
        #expect(second.seen == first.seen)
        #expect(!first.finished)  // finishing stays with the pipeline
    }

    @Test("a sink's error comes out of drain, and later batches are not consumed", arguments: [true, false])
    func error(background: Bool) {
        let failing = RecordingSink(failAfter: 2), after = RecordingSink()
        let feeder = SinkFeeder(sinks: [failing, after], background: background)
        for index in 0..<10 { feeder.feed(Self.batch(index)) }
        #expect(throws: AnalysisError.self) { try feeder.drain() }
        #expect(failing.batches == 3 && after.batches == 2)
        #expect(after.seen == (0..<6).map { Int64($0) })
    }
}
