/// Reads a classic pcap file through `mmap`: no copy, no per-packet library call.
///
/// Chunks are record-aligned slices of the mapping, so several workers can decode one file at once.
/// ``CaptureFile/open(path:)`` reads every plain pcap file with it (see there why); each chunk's pages are
/// mapped in one call before its record headers are walked (``populateMappedPages(_:_:)``), and dropped
/// again once its step is decoded (``RecordChunk/releasePages(_:)``), so resident memory stays bounded by
/// the chunks in flight however large the file. Seeing the whole file at once also makes it the reference
/// the streaming reader's resynchronisation over damaged data is tested and fuzzed against.
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
            // The chunk's pages (and the first of the next, which its last record may reach into), mapped
            // before the walk; a file cut short since it was opened is an error here, not a SIGBUS later.
            if let base = storage.base,
               !populateMappedPages(base, offset..<min(bytes.count, offset + targetBytes + Self.populateSlack)) {
                throw .io(offset: offset, detail: "the file shrank while it was being read (truncated by another process?)")
            }
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

    /// Bytes mapped past a chunk's target size before its walk: its last record may end there.
    static let populateSlack = 64 << 10

    /// The bytes the partial record at `at` would need.
    private func partialRecordNeed(at: Int) -> Int {
        let bytes = storage.bytes
        guard at + PcapFileHeader.recordHeaderSize <= bytes.count else { return PcapFileHeader.recordHeaderSize }
        let (_, _, captured, _) = header.recordHeader(bytes, at: at)
        return PcapFileHeader.recordHeaderSize + Int(captured)
    }
}
