internal import Dispatch

/// Runs `work` for every index in `0..<count`, side by side on the worker pool when `count` is above 1
/// (on the caller's thread alone for 1).
func forEachSideBySide(_ count: Int, _ work: @Sendable (Int) -> Void) {
    if count == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: count, execute: work) }
}
