internal import Dispatch
import FlowModel

/// Hands flow batches to the sinks on a serial background queue, so that the detectors work on one batch
/// while the pairer makes the next (flow inputs: the pairer and the sinks are both serial, and each would
/// otherwise wait for the other).
///
/// Batches reach the sinks in the order given, one at a time, and nothing else touches the sinks until
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
        guard background else { return consume(flows) }
        slots.wait()
        queue.async(group: group) { [self] in
            defer { slots.signal() }
            consume(flows)
        }
    }

    private func consume(_ flows: FlowBatch) {
        guard error == nil else { return }
        let start = DispatchTime.now()
        do throws(AnalysisError) {
            for sink in sinks { try sink.consume(flows) }
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
