internal import CThread

/// Keeps the flow shard ahead of the threads that feed it: with more than one worker, the threads that read
/// and decode a capture ahead of the shard run at a nice value 5 above the process's, the shard's thread
/// at the process's own.
///
/// On the 10 M-packet bulk capture the shard's thread is the critical path (busy 75–100 % while packets
/// arrive), yet the scheduler shared its core fairly with the decoding tasks: in one run it sat runnable
/// but preempted for 82 ms, against 57 ms waiting for work. At nice +5 (a third of the shard's weight) the
/// decoders still get the other core and the shard's idle time, and the shard is preempted less: in
/// alternating pairs against the build before, wall −4.0 %, −4.8 % and −2.4 % (faster in 15 of 16, 12 of
/// 16, 11 of 20), CPU unchanged; a prototype at +2 gave −4.5 %, at +10 −5.3 % (12 pairs each). Raising the
/// others' nice value needs no privilege, unlike lowering the shard's, and never gives any thread more
/// priority than the user started medflow with.
enum WorkerPriority {
    /// How far above the process's nice value the feeding threads go.
    static let yieldingIncrement: Int32 = 5

    /// The process's nice value, as `nice` started it (its main thread's: dispatch's pool threads take the
    /// value of their work's quality of service, 0 for the default one, not the process's).
    private static let base = medflow_process_nice()

    /// The nice value the feeding threads take.
    static var yielding: Int32 { min(19, base + yieldingIncrement) }

    /// Lowers the calling thread's priority to ``yielding`` unless it is that low already (a thread niced
    /// further, by the user or the system, stays as it is). Cheap: two system calls at most.
    static func yieldToFlowShards() { yield(to: yielding) }

    /// Raises the calling thread's nice value to `target` unless it is that high already.
    static func yield(to target: Int32) {
        if medflow_thread_nice() < target { _ = medflow_set_thread_nice(target) }
    }
}
