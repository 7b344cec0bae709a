internal import CMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zeroed memory for the flow table's slots: mapped directly (and on Linux marked for transparent huge
/// pages where ``HugePages/wanted``) when it is large, so a table of tens of megabytes takes a few
/// hundred page faults instead of one per 4 KB page, and is handed back to the system when freed.
///
/// Growing a flow table to 429 k flows used to fault in every 4 KB page of each doubled table; on the
/// 10 M-packet bulk capture those faults were a tenth of the run.
struct LargeMemory {
    /// Where the memory begins (64-byte aligned at least).
    let base: UnsafeMutableRawPointer
    /// Its length in bytes.
    let byteCount: Int
    private let isMapped: Bool

    /// Below this, the allocator's own memory is used.
    static let mappingThreshold = 1 << 21

    /// Allocates `byteCount` zeroed bytes.
    init(byteCount: Int) {
        self.byteCount = max(byteCount, 1)
        if self.byteCount >= Self.mappingThreshold,
           let mapped = mmap(nil, self.byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
           mapped != MAP_FAILED {
            #if os(Linux)
            if HugePages.wanted { _ = madvise(mapped, self.byteCount, MADV_HUGEPAGE) }  // a hint: ignored where THP is off
            #endif
            base = mapped
            isMapped = true
        } else {
            base = UnsafeMutableRawPointer.allocate(byteCount: self.byteCount, alignment: 64)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: self.byteCount)
            isMapped = false
        }
    }

    /// Frees the memory.
    func deallocate() {
        if isMapped { munmap(base, byteCount) } else { base.deallocate() }
    }

    /// Hands the pages wholly inside bytes `range` back to the system (`MADV_DONTNEED` on a mapping; a
    /// no-op on the allocator's memory): they read as zero afterwards. For memory whose contents no longer
    /// matter, so the pages serve the process's next allocations while they are still warm instead of
    /// its touching fresh ones (``FlowTable/releaseExported(slots:)``).
    func discard(_ range: Range<Int>) {
        guard isMapped else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lower = (max(0, range.lowerBound) + page - 1) / page * page
        let upper = min(byteCount, range.upperBound) / page * page
        guard upper > lower else { return }
        _ = madvise(base + lower, upper - lower, MADV_DONTNEED)
    }

    /// The same bytes followed by zeroed ones up to `newByteCount` (at least ``byteCount``), keeping the
    /// pages already touched: on Linux a mapping grows with `mremap`, which moves page tables, not bytes.
    /// The old value must not be used or freed afterwards.
    func grown(to newByteCount: Int) -> LargeMemory {
        precondition(newByteCount >= byteCount, "LargeMemory only grows")
        if isMapped, let moved = medflow_mremap_grow(base, byteCount, newByteCount) {
            return LargeMemory(base: moved, byteCount: newByteCount, isMapped: true)
        }
        let larger = LargeMemory(byteCount: newByteCount)  // zeroed
        larger.base.copyMemory(from: base, byteCount: byteCount)
        deallocate()
        return larger
    }

    private init(base: UnsafeMutableRawPointer, byteCount: Int, isMapped: Bool) {
        self.base = base
        self.byteCount = byteCount
        self.isMapped = isMapped
    }
}
