/// Reads a classic pcap file through `mmap`: no copy, no per-packet library call.
///
/// Chunks are record-aligned slices of the mapping, so several workers can decode one file at once:
/// walked up to their end, or (``guessesChunkEnds``, as the pipeline reads) with an end guessed for the
/// decoding walk to check. ``CaptureFile/open(path:)`` reads every plain pcap file with it (see there
/// why); each chunk's pages are mapped in one call before it is handed out (``populateMappedPages(_:_:)``),
/// and dropped again once its step is decoded (``RecordChunk/releasePages(_:)``), so resident memory
/// stays bounded by the chunks in flight however large the file. Seeing the whole file at once also
/// makes it the reference the streaming reader's resynchronisation over damaged data is tested and
/// fuzzed against.
public final class MappedPcapReader: CaptureReader {
    /// The parsed file header.
    public let header: PcapFileHeader
    private let storage: ChunkStorage
    private var offset = PcapFileHeader.size
    /// The seconds of the last good record, to judge where a damaged region ends.
    private var lastSeconds: UInt32?
    /// Non-fatal problems found so far.
    public private(set) var warnings: [ParseError] = []
    /// Whether ``nextChunk(targetBytes:)`` guesses where a chunk ends instead of walking every record
    /// header up to it (off unless set).
    ///
    /// Walking the headers took a thread of its own ahead of the decoders, 4–5 % of a run's CPU on a
    /// snaplen-128 capture, and the decoders walk every header again anyway. A guessed end is the first
    /// offset past the target size where eight plausible records chain (``PcapFileHeader/guessRecordBoundary``),
    /// and the chunk's ``RecordChunk/guessedRecords`` is set. Whoever decodes such chunks must check each
    /// guess (``RecordWalk/confirmsEnd(of:)``): a chunk that starts at a record boundary and whose decoding
    /// walk ends exactly at its end confirms that the next chunk starts at one too. When a walk does not
    /// (a wrong guess, damage, a record cut short), the chunks after it are dropped and reading goes on
    /// from where that walk stopped (``resume(at:after:)``), walking the next chunks' headers as before,
    /// so damage is stepped over and reported exactly as without guessing.
    public var guessesChunkEnds = false
    /// Chunks whose ends are walked even when guessing, before guessing again: set by ``resume(at:after:)``.
    private var chunksToWalk = 0
    /// How many chunks the next ``resume(at:after:)`` walks: 1 after the first, twice as many after each
    /// one after it, up to ``maximumChunksToWalk``. A file whose guesses keep failing (its records carry
    /// pcap records everywhere: each miss throws away the rest of a step) is then read almost as by walking.
    private var chunksToWalkAfterMiss = 1
    /// The most chunks walked after one failed guess (256 MB at the pipeline's chunk size).
    static let maximumChunksToWalk = 64

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
            let mapped = min(bytes.count, offset + targetBytes + Self.populateSlack)
            if let base = storage.base, !populateMappedPages(base, offset..<mapped) {
                throw .io(offset: offset, detail: "the file shrank while it was being read (truncated by another process?)")
            }
            if guessesChunkEnds && chunksToWalk == 0, let chunk = guessedChunk(targetBytes: targetBytes, mappedEnd: mapped) {
                offset = chunk.range.upperBound
                return chunk
            }
            chunksToWalk = max(0, chunksToWalk - 1)
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

    /// Goes on reading at `offset`, a record boundary (or damage to step over) that a decoding walk
    /// stopped at, and walks the next chunks' headers (one after the first call, twice as many after each
    /// later one, up to ``maximumChunksToWalk``): the chunks handed out since the one that walk decoded are
    /// to be dropped. `lastSeconds` is the seconds field of the record before `offset`.
    public func resume(at offset: Int, after lastSeconds: UInt32?) {
        self.offset = offset
        self.lastSeconds = lastSeconds ?? self.lastSeconds
        chunksToWalk = chunksToWalkAfterMiss
        chunksToWalkAfterMiss = min(2 * chunksToWalkAfterMiss, Self.maximumChunksToWalk)
    }

    /// Bytes mapped past a chunk's target size before its walk: its last record may end there.
    static let populateSlack = 64 << 10
    /// Records that must chain from a guessed chunk end.
    static let guessChain = 8
    /// Records at a guessed chunk's start whose average size gives its expected record count.
    static let sizingSample = 64

    /// The next chunk of about `targetBytes` with a guessed end (the rest of the file when no more than
    /// that is left), or `nil` when no end can be guessed inside the mapped pages (near the file's end,
    /// records too large for eight to fit, damage right here): the chunk is walked then.
    /// `mappedEnd` is where the pages mapped for the chunk end.
    private func guessedChunk(targetBytes: Int, mappedEnd: Int) -> RecordChunk? {
        let bytes = storage.bytes
        let populated = UnsafeRawBufferPointer(rebasing: bytes[..<mappedEnd])
        guard let average = header.averageRecordSize(populated, from: offset, count: Self.sizingSample) else { return nil }
        let end: Int
        if bytes.count - offset <= targetBytes {
            end = bytes.count
        } else {
            let near = header.recordHeader(bytes, at: offset).0
            guard let guess = header.guessRecordBoundary(populated, from: offset + targetBytes,
                                                         window: Self.populateSlack / 2, near: near,
                                                         chainLength: Self.guessChain) else { return nil }
            end = guess
        }
        // Room for a quarter more records than the first ones' size suggests (a stage that fills goes on
        // through a copy), never more than 16-byte records could need.
        let size = end - offset
        let expected = min(size / PcapFileHeader.recordHeaderSize + 1, size / average * 5 / 4 + 64)
        return RecordChunk(storage: storage, range: offset..<end, header: header, fileOffset: offset, recordCount: 0,
                           guessedRecords: expected)
    }

    /// The bytes the partial record at `at` would need.
    private func partialRecordNeed(at: Int) -> Int {
        let bytes = storage.bytes
        guard at + PcapFileHeader.recordHeaderSize <= bytes.count else { return PcapFileHeader.recordHeaderSize }
        let (_, _, captured, _) = header.recordHeader(bytes, at: at)
        return PcapFileHeader.recordHeaderSize + Int(captured)
    }
}
