#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Maps a whole file read-only; returns the base address and size (`nil` base for an empty file).
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
    return (base, size)
}

/// Unmaps what ``mapFile(_:)`` mapped.
func unmapFile(_ base: UnsafeMutableRawPointer, _ count: Int) {
    _ = munmap(base, count)
}

/// The system's page size.
private let systemPageSize = max(4096, sysconf(Int32(_SC_PAGESIZE)))

/// Drops the pages wholly inside `range` of the mapping at `base` from the process (`MADV_DONTNEED`); a
/// later read faults them in again from the file.
func releaseMappedPages(_ base: UnsafeMutableRawPointer, _ range: Range<Int>) {
    let page = systemPageSize
    let start = (range.lowerBound + page - 1) / page * page
    let end = range.upperBound / page * page
    guard end > start else { return }
    _ = madvise(base + start, end - start, MADV_DONTNEED)
}
