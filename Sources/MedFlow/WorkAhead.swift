internal import Dispatch

/// One piece of work run ahead of its caller: ``start(_:)`` begins it (on a background queue, or at once on
/// the caller's thread without `background`), ``wait()`` returns its value. At most one is in flight: the
/// caller waits before it starts the next, so what the work touches is used by one thread at a time.
///
/// The capture pipeline keeps two of these in flight, one reading the step after next
/// (``ChunkReadAhead``) and one decoding the next step (``StepDecoder``). Background work runs at
/// ``WorkerPriority/yielding``: it feeds the flow shards, whose threads keep the process's priority.
final class WorkAhead<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is written by the work between start(_:) and the group's leave, and read by the
    // caller after waiting on the group.
    private let background: Bool
    private let queue: DispatchQueue
    private let group = DispatchGroup()
    private let empty: Value
    private var value: Value
    private var running = false

    /// Creates an idle slot; ``wait()`` returns `empty` when nothing was started.
    init(label: String, background: Bool, empty: Value) {
        self.background = background
        queue = DispatchQueue(label: label)
        self.empty = empty
        value = empty
    }

    /// Starts `work` (nothing else may be in flight).
    func start(_ work: @escaping () -> Value) {
        precondition(!running, "WorkAhead started twice without a wait")
        running = true
        guard background else { return value = work() }
        nonisolated(unsafe) let work = work  // runs on `queue` only, while the caller does not touch its state
        queue.async(group: group) {
            WorkerPriority.yieldToFlowShards()
            self.value = work()
        }
    }

    /// Waits for the work ``start(_:)`` began and returns its value (`empty` when none was started).
    func wait() -> Value {
        group.wait()
        running = false
        defer { value = empty }
        return value
    }
}
