/// Memory that ``RecordChunk``s point into: a mapped file or a heap buffer, released when the last
/// chunk referring to it goes away.
public final class ChunkStorage: @unchecked Sendable {
    // @unchecked: the bytes are written once, before any chunk is handed out, and only read after.
    let base: UnsafeMutableRawPointer?
    let count: Int
    private let release: Release

    enum Release {
        /// Unmap the file mapping.
        case unmap
        /// Free the heap buffer.
        case free
        /// Hand the buffer back to its pool.
        case recycle(ChunkBufferPool)
        /// Nothing to do.
        case none
    }

    init(base: UnsafeMutableRawPointer?, count: Int, release: Release) {
        self.base = base
        self.count = count
        self.release = release
    }

    /// Allocates `count` bytes on the heap.
    static func allocate(_ count: Int) -> ChunkStorage {
        ChunkStorage(base: UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16), count: count,
                     release: .free)
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Gives the pages of `range` of a mapped file back to the kernel (`MADV_DONTNEED`,
    /// ``releaseMappedPages(_:_:count:)``), so a file read once stays out of the process's resident
    /// memory however large it is. The mapping is private and read-only: a later read of those bytes
    /// faults them in again from the page cache, so this never changes what is read. No effect on heap
    /// storage.
    func releasePages(_ range: Range<Int>) {
        guard case .unmap = release, let base else { return }
        releaseMappedPages(base, range, count: count)
    }

    deinit {
        switch release {
        case .unmap: if let base { unmapFile(base, count) }
        case .free: base?.deallocate()
        case .recycle(let pool): if let base { pool.recycle(base) }
        case .none: break
        }
    }
}
