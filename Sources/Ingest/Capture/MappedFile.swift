internal import CMemory
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Maps a whole file read-only; returns the base address and size (`nil` base for an empty file).
///
/// The mapping is guarded (``medflow_guard_mapping``): should another process truncate the file while
/// it is mapped, reading a page past the new end ends the run with a one-line error naming the file and
/// the byte (exit 65) instead of a crash on SIGBUS. ``populateMappedPages(_:_:)`` finds most such
/// truncations earlier, as an error the reader reports.
///
/// - Parameter path: The file to map.
/// - Throws: `ParseError.io` naming the operating-system error.
func mapFile(_ path: String) throws(ParseError) -> (UnsafeMutableRawPointer?, Int) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .io(offset: 0, detail: String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .io(offset: 0, detail: String(cString: strerror(errno))) }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw .io(offset: 0, detail: "not a regular file") }
    let size = Int(info.st_size)
    if size == 0 { return (nil, 0) }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
        throw .io(offset: 0, detail: String(cString: strerror(errno)))
    }
    _ = madvise(base, size, MADV_SEQUENTIAL)
    _ = medflow_guard_mapping(base, size, path)
    return (base, size)
}

/// Whether `path` names a regular file (following links): only those can be mapped.
func isRegularFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
}

/// Unmaps what ``mapFile(_:)`` mapped.
func unmapFile(_ base: UnsafeMutableRawPointer, _ count: Int) {
    medflow_unguard_mapping(base)
    _ = munmap(base, count)
}

/// The system's page size.
private let systemPageSize = max(4096, sysconf(Int32(_SC_PAGESIZE)))

/// Drops the pages of `range` of the mapping at `base` from the process (`MADV_DONTNEED`); a later read
/// faults them in again from the file, so this never changes what is read.
///
/// The page holding `range`'s first byte is dropped too, though it may hold the end of the range before
/// (a chunk still being decoded faults it in again); the page holding its end is left to the range
/// after, unless `range` runs to the end of the mapping (`count`). So every page of a file read chunk
/// by chunk is dropped once, and resident memory stays bounded by the chunks in flight.
func releaseMappedPages(_ base: UnsafeMutableRawPointer, _ range: Range<Int>, count: Int) {
    let page = systemPageSize
    let start = range.lowerBound / page * page
    let end = range.upperBound >= count ? count : range.upperBound / page * page
    guard end > start else { return }
    _ = madvise(base + start, end - start, MADV_DONTNEED)
}

/// `MADV_POPULATE_READ` (Linux 5.14 on; not in every libc's headers yet).
let madvisePopulateRead: Int32 = 22

/// Maps the pages of `range` of the mapping at `base` in one call (`MADV_POPULATE_READ`, Linux 5.14 on),
/// so that a walk over them is not interrupted by a fault every 64 KB and can prefetch ahead.
///
/// - Returns: `false` when some of those pages no longer exist: the file was truncated after it was
///   mapped, and reading them would raise SIGBUS. `true` otherwise, also where the call is not supported
///   (the pages are then faulted in as they are read).
func populateMappedPages(_ base: UnsafeMutableRawPointer, _ range: Range<Int>) -> Bool {
    #if os(Linux)
    let page = systemPageSize
    let start = range.lowerBound / page * page
    guard range.upperBound > start else { return true }
    return madvise(base + start, range.upperBound - start, madvisePopulateRead) == 0 || errno != EFAULT
    #else
    return true
    #endif
}
