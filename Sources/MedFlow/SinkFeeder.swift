internal import Dispatch
import FlowModel

/// Hands flow batches to the sinks on a serial background queue, so that the detectors work on one batch
/// while the pipeline makes the next (flow inputs: the pairer and the sinks are both serial, and each would
/// otherwise wait for the other; captures: the decoders and flow shards go on with the next step while the
/// detectors read this one's DNS answers, burst starts and flows).
///
/// Work reaches the sinks in the order given, one item at a time, and nothing else touches them until
/// ``drain()`` has returned. The first error a sink throws is kept; later batches are dropped and
/// ``drain()`` throws it.
final class SinkFeeder: @unchecked Sendable {
    // @unchecked: `sinks`, `error` and `spent` are used only on `queue` (or, not in the background, on the
    // caller's thread) until `drain()` waits for it.
    private let sinks: [any FlowSink]
    private let queue = DispatchQueue(label: "medflow.sinks")
    private let group = DispatchGroup()
    private var error: AnalysisError?
    private var spent = 0.0
    /// Batches queued and not yet consumed at most; beyond it ``feed(_:)`` waits (bounded memory).
    private let slots = DispatchSemaphore(value: 4)

    /// Whether batches go to the queue (else the caller's thread consumes them at once).
    private let background: Bool

    /// Creates a feeder for `sinks`; with `background` false (`--workers 1`) ``feed(_:)`` consumes on the
    /// caller's thread, with the same error handling.
    init(sinks: [any FlowSink], background: Bool = true) {
        self.sinks = sinks
        self.background = background
    }

    /// Queues `flows` for the sinks.
    func feed(_ flows: FlowBatch) {
        guard !flows.isEmpty else { return }
        enqueue { [self] () throws(AnalysisError) in for sink in sinks { try sink.consume(flows) } }
    }

    /// Queues one step's DNS answers for `answerSinks`, before any flows fed later.
    func feed(answers: [DNSAnswer], to answerSinks: [any DNSAnswerSink]) {
        guard !answers.isEmpty, !answerSinks.isEmpty else { return }
        enqueue { for sink in answerSinks { sink.consume(answers) } }
    }

    /// Queues one step's burst starts for `burstSinks`, before any flows fed later.
    func feed(starts: [BurstStart], to burstSinks: [any BurstStartSink]) {
        guard !starts.isEmpty, !burstSinks.isEmpty else { return }
        enqueue { for sink in burstSinks { sink.consume(starts) } }
    }

    /// Runs `work` on the queue after everything queued before it (or at once without a background queue).
    private func enqueue(_ work: @escaping () throws(AnalysisError) -> Void) {
        nonisolated(unsafe) let work = work  // runs on `queue` only, one item at a time
        guard background else { return run(work) }
        slots.wait()
        queue.async(group: group) { [self] in
            defer { slots.signal() }
            run(work)
        }
    }

    private func run(_ work: () throws(AnalysisError) -> Void) {
        guard error == nil else { return }
        let start = DispatchTime.now()
        do throws(AnalysisError) {
            try work()
        } catch {
            self.error = error
        }
        spent += seconds(since: start)
    }

    /// Waits until every queued batch is consumed; returns the seconds the sinks took in all, or throws the
    /// first error one of them threw.
    func drain() throws(AnalysisError) -> Double {
        group.wait()
        let (error, total) = queue.sync { (self.error, self.spent) }
        if let error { throw error }
        return total
    }
}
