internal import Dispatch
import FlowModel
import Foundation

/// Hands flow batches to the sinks on background queues, one serial queue per sink, so that the detectors
/// work on one batch while the pipeline makes the next, and side by side with each other (flow inputs:
/// the pairer would otherwise wait for the detectors, and the detectors for each other; on an nfdump
/// archive of one-off conversations the beacon and fan-out detectors one after the other were the whole
/// run's critical path. Captures: the decoders and flow shards go on with the next step while the
/// detectors read this one's DNS answers, burst starts and flows).
///
/// Each sink gets its work in the order given, one item at a time, and nothing else touches it until
/// ``drain()`` has returned; different sinks may run at the same time (``FlowSink`` allows it). The first
/// error a sink throws is kept, no sink starts another item after it, and ``drain()`` throws it.
final class SinkFeeder: @unchecked Sendable {
    // @unchecked: each lane's sink and `spent` are used only on that lane's queue (or, not in the
    // background, on the caller's thread) until `drain()` waits for it; `error` is behind `lock`.
    private final class Lane: @unchecked Sendable {
        let sink: any FlowSink
        /// The part of the sink's work this lane does (``FlowSink/consume(_:part:)``), or `nil` for all of it.
        let part: Int?
        let queue: DispatchQueue
        /// Items queued and not yet run at most; beyond it feeding waits (bounded memory).
        let slots: DispatchSemaphore
        var spent = 0.0
        init(sink: any FlowSink, part: Int?, index: Int, queued: Int) {
            self.sink = sink
            self.part = part
            queue = DispatchQueue(label: "medflow.sinks.\(index)")
            slots = DispatchSemaphore(value: queued)
        }
    }

    private let lanes: [Lane]
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var error: AnalysisError?

    /// Whether work goes to the queues (else the caller's thread runs it at once).
    private let background: Bool

    /// Creates a feeder for `sinks`; with `background` false (`--workers 1`) ``feed(_:)`` consumes on the
    /// caller's thread, with the same error handling.
    init(sinks: [any FlowSink], background: Bool = true) {
        lanes = sinks.enumerated().map { Lane(sink: $1, part: nil, index: $0, queued: 4) }
        self.background = background
    }

    /// Creates a feeder with a lane for each part of each sink (``FlowSink/sideBySideParts``, read here
    /// once), for the end-of-input flush: every part works through the flush's blocks in order on its own
    /// queue, so a part that is done with a block goes on with the next instead of waiting for the
    /// slowest part at a barrier, and the next block is exported meanwhile. At most `queued` blocks wait
    /// per lane.
    init(partsOf sinks: [any FlowSink], queued: Int) {
        var lanes: [Lane] = []
        for sink in sinks {
            let parts = max(1, sink.sideBySideParts)
            for part in 0..<parts {
                lanes.append(Lane(sink: sink, part: parts > 1 ? part : nil, index: lanes.count, queued: max(1, queued)))
            }
        }
        self.lanes = lanes
        background = true
    }

    /// Queues `flows` for every sink (every part of each, for a feeder made with ``init(partsOf:queued:)``).
    func feed(_ flows: FlowBatch) {
        guard !flows.isEmpty else { return }
        for lane in lanes {
            if let part = lane.part {
                enqueue(on: lane) { () throws(AnalysisError) in try lane.sink.consume(flows, part: part) }
            } else {
                enqueue(on: lane) { () throws(AnalysisError) in try lane.sink.consume(flows) }
            }
        }
    }

    /// Queues one step's DNS answers for `answerSinks` (which must be among the sinks), before any flows
    /// fed later.
    func feed(answers: [DNSAnswer], to answerSinks: [any DNSAnswerSink]) {
        guard !answers.isEmpty else { return }
        for sink in answerSinks { enqueue(on: lane(of: sink)) { sink.consume(answers) } }
    }

    /// Queues one step's burst starts for `burstSinks` (which must be among the sinks), before any flows
    /// fed later.
    func feed(starts: [BurstStart], to burstSinks: [any BurstStartSink]) {
        guard !starts.isEmpty else { return }
        for sink in burstSinks { enqueue(on: lane(of: sink)) { sink.consume(starts) } }
    }

    /// The lane of the sink that is the object `sink`.
    private func lane(of sink: AnyObject) -> Lane {
        guard let lane = lanes.first(where: { $0.sink === sink }) else {
            preconditionFailure("SinkFeeder: \(type(of: sink)) is not one of the sinks")
        }
        return lane
    }

    /// Runs `work` on `lane`'s queue after everything queued there before it (or at once without a
    /// background queue).
    private func enqueue(on lane: Lane, _ work: @escaping () throws(AnalysisError) -> Void) {
        nonisolated(unsafe) let work = work  // runs on the lane's queue only, one item at a time
        guard background else { return run(work, on: lane) }
        lane.slots.wait()
        lane.queue.async(group: group) { [self] in
            defer { lane.slots.signal() }
            run(work, on: lane)
        }
    }

    private func run(_ work: () throws(AnalysisError) -> Void, on lane: Lane) {
        guard failure == nil else { return }
        let start = DispatchTime.now()
        do throws(AnalysisError) {
            try work()
        } catch {
            lock.lock()
            if self.error == nil { self.error = error }
            lock.unlock()
        }
        lane.spent += seconds(since: start)
    }

    /// The first error a sink threw, if any.
    private var failure: AnalysisError? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }

    /// Waits until every queued item has run; returns the seconds the sinks took in all, or throws the
    /// first error one of them threw.
    func drain() throws(AnalysisError) -> Double {
        group.wait()
        if let failure { throw failure }
        return lanes.reduce(0) { total, lane in total + lane.queue.sync { lane.spent } }
    }
}
