/// Reads a classic pcap file from a ``ByteStream`` (a file read with `read(2)`, or a decompressing stream)
/// into heap chunks of whole records, never holding more than one chunk and a partial record at a time
/// beyond the chunks not yet decoded. Chunk buffers come from a pool (``ChunkBufferPool``) and go back to
/// it once their chunk is released.
public final class StreamPcapReader: CaptureReader {
    /// The parsed file header.
    public let header: PcapFileHeader
    private var stream: any ByteStream
    private var leftover: [UInt8] = []
    /// Offset in the (decompressed) stream of the first byte of `leftover`.
    private var streamOffset = PcapFileHeader.size
    private var ended = false
    /// The seconds of the last good record, to judge where a damaged region ends.
    private var lastSeconds: UInt32?
    /// A damaged region being stepped over: where it began, the bytes judged not to start a record so far
    /// (0: only the corrupt header is known), and why.
    private var pendingSkip: (offset: Int, bytes: Int, reason: String)?
    /// Non-fatal problems found so far.
    public private(set) var warnings: [ParseError] = []
    /// Buffers of `targetBytes` for the chunks, reused once their packets are decoded.
    private var pool: ChunkBufferPool?

    /// Reads the file header from `stream`.
    ///
    /// - Throws: `ParseError` when the stream ends before 24 bytes or does not start with a pcap header.
    public init(stream: any ByteStream) throws(ParseError) {
        self.stream = stream
        var stream = stream
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: PcapFileHeader.size, alignment: 8)
        defer { head.deallocate() }
        let count = try readFully(&stream, into: head)
        header = try PcapFileHeader(parsing: UnsafeRawBufferPointer(rebasing: head[..<count]))
    }

    /// The link type of every record.
    public var linkType: LinkType { header.linkType }
    /// Always `pcap`.
    public var formatName: String { "pcap" }

    /// How much one `read` brings in before the records read so far are walked (tests lower it).
    var readPieceBytes = 256 << 10

    /// Returns the next run of whole records of about `targetBytes` bytes.
    public func nextChunk(targetBytes: Int) throws(ParseError) -> RecordChunk? {
        var capacity = max(targetBytes, PcapFileHeader.recordHeaderSize)
        while true {
            if ended && leftover.isEmpty { return nil }
            capacity = max(capacity, leftover.count + PcapFileHeader.recordHeaderSize)
            let storage: ChunkStorage
            if capacity == targetBytes {
                if pool?.bufferBytes != capacity { pool = ChunkBufferPool(bufferBytes: capacity) }
                storage = pool!.storage()
            } else {
                storage = .allocate(capacity)  // a record larger than the chunk size
            }
            let buffer = UnsafeMutableRawBufferPointer(start: storage.base, count: capacity)
            leftover.withUnsafeBytes { buffer.copyMemory(from: $0) }
            var filled = leftover.count
            // Outside damage the records are walked piece by piece as they are read, while the kernel's copy
            // is still in cache: one walk over the whole chunk afterwards missed the cache on every header.
            var walked: RecordScan? = pendingSkip == nil ? RecordScan(end: 0, records: 0, stoppedAtPartialRecord: false) : nil
            repeat {
                if !ended && filled < capacity {
                    let piece = walked == nil ? capacity - filled : min(max(readPieceBytes, 1), capacity - filled)
                    let count = try readFully(&stream, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + piece)]))
                    filled += count
                    if count < piece { ended = true }
                }
                if let scan = walked {
                    walked = header.continueScan(scan, UnsafeRawBufferPointer(rebasing: storage.bytes[..<filled]),
                                                 baseOffset: streamOffset)
                    if walked!.corrupt != nil { break }  // the chunk ends at the damage: read no further
                }
            } while !ended && filled < capacity
            let bytes = UnsafeRawBufferPointer(rebasing: storage.bytes[..<filled])
            if let skip = pendingSkip {
                // Stepping over damage: look for the next plausible record, reading on whenever the bytes
                // at hand cannot settle it, so the answer does not depend on where reads ended.
                switch header.resynchronise(bytes, firstCandidate: skip.bytes == 0 ? 1 : 0, after: lastSeconds,
                                            atEnd: ended) {
                case .found(let next):
                    warnings.append(.skipped(offset: skip.offset, bytes: skip.bytes + next, reason: skip.reason))
                    pendingSkip = nil
                    leftover = Array(bytes[next...])
                    streamOffset += next
                case .needMore(let from):
                    pendingSkip = (skip.offset, skip.bytes + from, skip.reason)
                    leftover = Array(bytes[from...])
                    streamOffset += from
                    // The undecided candidate needs more than the buffer holds: grow it.
                    if from == 0 && filled == capacity { capacity *= 2 }
                case .none:
                    warnings.append(.skipped(offset: skip.offset, bytes: skip.bytes + bytes.count, reason: skip.reason))
                    pendingSkip = nil
                    leftover = []
                    streamOffset += bytes.count
                    return nil
                }
                continue
            }
            let scan = walked!  // set whenever no damage is pending
            if scan.records > 0 {
                leftover = Array(bytes[scan.end...])
                let chunk = RecordChunk(storage: storage, range: 0..<scan.end, header: header,
                                        fileOffset: streamOffset, recordCount: scan.records)
                lastSeconds = scan.lastSeconds ?? lastSeconds
                streamOffset += scan.end
                return chunk
            }
            if let corrupt = scan.corrupt {
                // The damage starts here; the next round steps over it.
                pendingSkip = (streamOffset, 0, corrupt.description)
                leftover = Array(bytes)
                continue
            }
            leftover = Array(bytes)
            if ended && bytes.isEmpty { return nil }
            if ended {
                // A record cut off by the end of the stream.
                let need = needed(for: bytes)
                warnings.append(.truncated(offset: streamOffset, needed: need, available: bytes.count))
                leftover = []
                return nil
            }
            capacity = max(capacity * 2, needed(for: bytes))  // one record larger than the buffer
        }
    }

    private func needed(for bytes: UnsafeRawBufferPointer) -> Int {
        guard bytes.count >= PcapFileHeader.recordHeaderSize else { return PcapFileHeader.recordHeaderSize }
        let (_, _, captured, _) = header.recordHeader(bytes, at: 0)
        return PcapFileHeader.recordHeaderSize + Int(captured)
    }
}

/// Reads from `stream` until `buffer` is full or the stream ends; returns the bytes read.
func readFully(_ stream: inout any ByteStream, into buffer: UnsafeMutableRawBufferPointer) throws(ParseError) -> Int {
    var filled = 0
    while filled < buffer.count {
        let count = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
        if count == 0 { break }
        filled += count
    }
    return filled
}
