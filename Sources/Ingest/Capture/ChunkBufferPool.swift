internal import Synchronization

/// Buffers of one size for the chunks a ``StreamPcapReader`` reads, handed back when the last chunk in
/// one is released and reused for a later chunk.
///
/// Each chunk of a stream lives in a buffer of its own until its packets are decoded, a few steps after
/// it was read; a buffer allocated afresh for every chunk is fresh memory every time, which the kernel
/// must zero before the read fills it (on the 10 M-packet bulk capture read through `read(2)`, that
/// zeroing was a fifth of the run). The pool keeps at most ``maximumKept`` buffers, so what it holds is
/// bounded by the chunks in flight.
final class ChunkBufferPool: Sendable {
    /// The size of every buffer in the pool.
    let bufferBytes: Int
    /// The most free buffers kept; more are freed.
    let maximumKept: Int
    /// The free buffers' addresses (integers: the pointers are not `Sendable`, the lock makes them so).
    private let free = Mutex<[UInt]>([])

    /// Creates an empty pool of `bufferBytes`-byte buffers.
    init(bufferBytes: Int, maximumKept: Int = 32) {
        self.bufferBytes = bufferBytes
        self.maximumKept = maximumKept
    }

    deinit {
        for address in free.withLock({ $0 }) { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
    }

    /// Storage of ``bufferBytes`` bytes (contents undefined) that returns its buffer to the pool when
    /// released.
    func storage() -> ChunkStorage {
        let reused = free.withLock { $0.popLast() }.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
        let base = reused ?? UnsafeMutableRawPointer.allocate(byteCount: bufferBytes, alignment: 16)
        return ChunkStorage(base: base, count: bufferBytes, release: .recycle(self))
    }

    /// Takes back a buffer of ``storage()`` (called by the storage when it is released).
    func recycle(_ buffer: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: buffer)
        let kept = free.withLock { buffers in
            guard buffers.count < maximumKept else { return false }
            buffers.append(address)
            return true
        }
        if !kept { buffer.deallocate() }
    }
}
