internal import CMalloc

/// Process-wide allocator settings for long batch runs.
public enum AllocatorTuning {
    /// Keeps freed memory in the process instead of handing it back to the system at once.
    ///
    /// The pipeline allocates and frees batches of a few hundred KB to a few MB per chunk of input. glibc
    /// serves such sizes with `mmap` (or trims them off the heap) and returns them on `free`, so every new
    /// batch faults in fresh pages that the kernel must zero first: on a 10 M-packet run that zeroing was a
    /// sixth of the CPU time. With a fixed 32 MB mapping threshold and a 256 MB trim threshold, freed
    /// batches are reused from the heap; peak RSS grows by at most the trim threshold, and only in a
    /// process whose live memory shrank by that much.
    ///
    /// One arena for every thread: glibc gives each thread that meets contention an arena of its own, and
    /// a block goes back to the arena it came from, so the batches the decoding tasks allocated, freed on
    /// the flow shard's thread, and the read-ahead thread's chunk buffers never served the end-of-input
    /// flush on the main thread, which faulted in fresh pages for all of it. With one arena the 10 M-packet
    /// bulk run faults in 40 % fewer pages (peak RSS 290 -> 196 MB, wall -8.6 % in paired runs); the
    /// pipeline allocates per chunk, not per packet, so the shared lock is not contended.
    ///
    /// Call once, before any other thread starts (the CLI does); a no-op where the C library is not glibc.
    public static func keepFreedMemory() {
        _ = medflow_keep_freed_memory(32 << 20, 256 << 20, 16 << 20, 1)
    }
}
