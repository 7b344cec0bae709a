internal import Dispatch
internal import Foundation

/// A thread of its own that runs submitted work items one at a time, in order: a flow shard's worker.
///
/// Serial dispatch queues would do the same, but the dispatch pool runs the items of several serial
/// queues on one pool thread when its other threads are busy (the decoding tasks): on the 10 M bulk
/// capture both flow shards' work went to one thread, so the flow tables, the largest stage, used one
/// core while the other waited for them. Each shard's own thread lets the kernel run both at once.
final class ShardThread: @unchecked Sendable {
    // @unchecked: `items` and `stopping` are touched only while `condition` is locked.
    private let condition = NSCondition()
    private var items: [@Sendable () -> Void] = []
    private var stopping = false

    /// Starts the thread; it holds this worker until ``stop()`` and its last item.
    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Runs `work` on the thread after every item submitted before it; `group` is left when it is done.
    func async(group: DispatchGroup, _ work: @escaping @Sendable () -> Void) {
        group.enter()
        condition.lock()
        items.append {
            work()
            group.leave()
        }
        condition.signal()
        condition.unlock()
    }

    /// Waits until every item submitted so far has run.
    func settle() {
        let group = DispatchGroup()
        async(group: group) {}
        group.wait()
    }

    /// Lets the thread end once its items have run (the thread holds the worker until then).
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while items.isEmpty && !stopping { condition.wait() }
            if items.isEmpty {
                condition.unlock()
                return
            }
            let item = items.removeFirst()
            condition.unlock()
            item()
        }
    }
}
