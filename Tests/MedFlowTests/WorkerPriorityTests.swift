import CThread
import Foundation
import Testing

@testable import MedFlow

/// The threads that feed the flow shards yield to them (``WorkerPriority``): they take the process's nice
/// value plus 5, never a higher priority than they had, and work run ahead in the background does so.
///
/// A thread inherits its creator's nice value, and the test runner's pool threads may have run pipelines
/// (niced to +5) before: each test starts from its own thread's value, lowered to 0 first where the
/// system allows it (as root).
@Suite("Worker priority")
struct WorkerPriorityTests {
    /// Runs `body` on a thread of its own (so the test runner's threads keep their priority) and returns
    /// its result.
    static func onFreshThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        nonisolated(unsafe) var result: T?
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            _ = medflow_set_thread_nice(0)  // where permitted: a known start
            result = body()
            done.signal()
        }
        thread.start()
        done.wait()
        return result!
    }

    #if os(Linux)
    @Test("yielding raises a thread's nice value to the target once, and never lowers it")
    func yields() {
        let (before, target, after, again) = Self.onFreshThread { () -> (Int32, Int32, Int32, Int32) in
            let before = medflow_thread_nice()
            let target = min(19, before + 3)
            WorkerPriority.yield(to: target)
            let after = medflow_thread_nice()
            WorkerPriority.yield(to: before)  // a lower target: no change
            return (before, target, after, medflow_thread_nice())
        }
        #expect(before < 19)
        #expect(after == target && again == target)
    }

    @Test("the feeding threads' value is the process's plus 5")
    func yieldingValue() {
        let expected = min(19, medflow_process_nice() + WorkerPriority.yieldingIncrement)
        #expect(WorkerPriority.yielding == expected)
        let (before, after) = Self.onFreshThread { () -> (Int32, Int32) in
            let before = medflow_thread_nice()
            WorkerPriority.yieldToFlowShards()
            return (before, medflow_thread_nice())
        }
        #expect(after == max(before, expected))
    }

    @Test("a thread niced further keeps its value: yielding never raises a priority")
    func neverRaises() {
        let (set, after) = Self.onFreshThread { () -> (Int32, Int32) in
            let set = medflow_set_thread_nice(19)
            WorkerPriority.yieldToFlowShards()
            return (set, medflow_thread_nice())
        }
        #expect(set == 0)  // raising one's own nice value needs no privilege
        #expect(after == 19)
    }

    @Test("work run ahead in the background yields; work run on the caller's thread does not")
    func workAhead() {
        let background = WorkAhead<Int32>(label: "medflow.test.priority", background: true, empty: -100)
        background.start { medflow_thread_nice() }
        #expect(background.wait() == WorkerPriority.yielding)
        let (inside, caller) = Self.onFreshThread { () -> (Int32, Int32) in
            let ahead = WorkAhead<Int32>(label: "medflow.test.priority-inline", background: false, empty: -100)
            ahead.start { medflow_thread_nice() }
            let inside = ahead.wait()
            return (inside, medflow_thread_nice())
        }
        #expect(inside == caller)
    }
    #endif
}
