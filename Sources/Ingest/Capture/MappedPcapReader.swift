/// Reads a classic pcap file through `mmap`: no copy, no per-packet library call.
///
/// Chunks are record-aligned slices of the mapping, so several workers can decode one file at once.
/// ``CaptureFile/open(path:)`` reads plain files with ``StreamPcapReader`` instead (cheaper than faulting
/// in fresh pages, see there); this reader sees the whole file at once, which makes it the reference the
/// streaming reader's resynchronisation over damaged data is tested and fuzzed against.
public final class MappedPcapReader: CaptureReader {
    /// The parsed file header.
    public let header: PcapFileHeader
    private let storage: ChunkStorage
    private var offset = PcapFileHeader.size
    /// The seconds of the last good record, to judge where a damaged region ends.
    private var lastSeconds: UInt32?
    /// Non-fatal problems found so far.
    public private(set) var warnings: [ParseError] = []

    /// Maps `path` and parses its file header.
    ///
    /// - Throws: `ParseError` when the file cannot be mapped or does not start with a pcap header.
    public init(path: String) throws(ParseError) {
        let (base, size) = try mapFile(path)
        storage = ChunkStorage(base: base, count: size, release: .unmap)
        header = try PcapFileHeader(parsing: storage.bytes)
    }

    /// The link type of every record.
    public var linkType: LinkType { header.linkType }
    /// Always `pcap`.
    public var formatName: String { "pcap" }
    /// The file's size in bytes.
    public var fileSize: Int { storage.count }

    /// Returns the next run of whole records of about `targetBytes` bytes.
    ///
    /// A damaged record header is stepped over: the reader skips to the next offset where a plausible
    /// record (followed by another) begins, and records a ``ParseError/skipped(offset:bytes:reason:)``
    /// warning; without one, the rest of the file is skipped with that warning.
    public func nextChunk(targetBytes: Int) throws(ParseError) -> RecordChunk? {
        let bytes = storage.bytes
        while offset < bytes.count {
            let scan = header.scanRecords(bytes, from: offset, targetBytes: targetBytes, baseOffset: 0)
            if scan.records > 0 {
                let chunk = RecordChunk(storage: storage, range: offset..<scan.end, header: header, fileOffset: offset,
                                        recordCount: scan.records)
                lastSeconds = scan.lastSeconds ?? lastSeconds
                offset = scan.end
                return chunk
            }
            if let corrupt = scan.corrupt {
                var next = bytes.count
                if case .found(let found) = header.resynchronise(bytes, firstCandidate: offset + 1, after: lastSeconds,
                                                                 atEnd: true) { next = found }
                warnings.append(.skipped(offset: offset, bytes: next - offset, reason: corrupt.description))
                offset = next
                continue
            }
            // Only a partial record is left: the file was cut short.
            if scan.stoppedAtPartialRecord {
                warnings.append(.truncated(offset: offset, needed: partialRecordNeed(at: offset),
                                           available: bytes.count - offset))
            }
            offset = bytes.count
        }
        return nil
    }

    /// The bytes the partial record at `at` would need.
    private func partialRecordNeed(at: Int) -> Int {
        let bytes = storage.bytes
        guard at + PcapFileHeader.recordHeaderSize <= bytes.count else { return PcapFileHeader.recordHeaderSize }
        let (_, _, captured, _) = header.recordHeader(bytes, at: at)
        return PcapFileHeader.recordHeaderSize + Int(captured)
    }
}
