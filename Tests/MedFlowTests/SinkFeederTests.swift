import FlowModel
import Foundation
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

    @Test("a sink's error comes out of drain, and no sink starts a batch after it", arguments: [true, false])
    func error(background: Bool) {
        let failing = RecordingSink(failAfter: 2), after = RecordingSink()
        let feeder = SinkFeeder(sinks: [failing, after], background: background)
        for index in 0..<10 { feeder.feed(Self.batch(index)) }
        #expect(throws: AnalysisError.self) { try feeder.drain() }
        #expect(failing.batches == 3)
        if background {
            // The other sink runs on its own queue: it may be behind or ahead of the failing one when the error
            // comes; what it saw is in order.
            #expect(after.seen == (0..<(3 * after.batches)).map { Int64($0) })
        } else {
            #expect(after.batches == 2 && after.seen == (0..<6).map { Int64($0) })
        }
    }

    /// Sleeps in every batch and notes the most sinks it ever saw busy at once.
    final class SlowSink: FlowSink, @unchecked Sendable {
        static let busy = NSLock()
        nonisolated(unsafe) static var running = 0
        nonisolated(unsafe) static var mostRunning = 0
        func consume(_ flows: FlowBatch) throws(AnalysisError) {
            Self.busy.lock(); Self.running += 1; Self.mostRunning = max(Self.mostRunning, Self.running); Self.busy.unlock()
            usleep(20_000)
            Self.busy.lock(); Self.running -= 1; Self.busy.unlock()
        }
        func finish() throws(AnalysisError) {}
    }

    @Test("different sinks consume side by side")
    func sideBySide() throws {
        let feeder = SinkFeeder(sinks: [SlowSink(), SlowSink()], background: true)
        for index in 0..<10 { feeder.feed(Self.batch(index)) }
        _ = try feeder.drain()
        #expect(SlowSink.mostRunning == 2)
    }

    /// Splits its work in two parts: part 0 notes first-seen times, part 1 last-seen times; consuming a
    /// batch whole does both.
    final class TwoPartSink: FlowSink, @unchecked Sendable {
        var firsts: [Int64] = []
        var lasts: [Int64] = []
        var wholeBatches = 0
        var sideBySideParts: Int { 2 }
        func consume(_ flows: FlowBatch) throws(AnalysisError) {
            wholeBatches += 1
            firsts += flows.firstSeen
            lasts += flows.lastSeen
        }
        func consume(_ flows: FlowBatch, part: Int) throws(AnalysisError) {
            if part == 0 { firsts += flows.firstSeen } else { lasts += flows.lastSeen }
        }
        func finish() throws(AnalysisError) {}
    }

    @Test("a feeder of sink parts gives each part of each sink every batch, in order", arguments: [1, 3])
    func parts(queued: Int) throws {
        let split = TwoPartSink(), whole = RecordingSink()
        let feeder = SinkFeeder(partsOf: [split, whole], queued: queued)
        for index in 0..<100 { feeder.feed(Self.batch(index)) }
        _ = try feeder.drain()
        let expected = (0..<300).map { Int64($0) }
        #expect(split.wholeBatches == 0)  // two parts: never consumed whole
        #expect(split.firsts == expected)
        #expect(split.lasts == expected)
        #expect(whole.seen == expected && whole.batches == 100)
    }
}
