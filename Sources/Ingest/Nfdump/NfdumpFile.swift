/// One data block of an nfdump file as stored: its header fields and where its (compressed) payload lies
/// in the mapped file.
public struct NfdumpRawBlock: Sendable, Hashable {
    /// File offset of the 12-byte block header.
    public var offset: Int
    /// Records the block declares.
    public var recordCount: UInt32
    /// Block type: 3 a list of records, 4 an array block.
    public var type: UInt16
    /// The payload's byte range in the file.
    public var payload: Range<Int>

    /// Describes a block; ``NfdumpFile/nextBlock()`` makes these, tests and fuzz targets build their own.
    ///
    /// - Parameters:
    ///   - offset: File offset of the block header.
    ///   - recordCount: Records the block declares.
    ///   - type: Block type (3: a list of records).
    ///   - payload: The payload's byte range in the file.
    public init(offset: Int, recordCount: UInt32, type: UInt16, payload: Range<Int>) {
        self.offset = offset
        self.recordCount = recordCount
        self.type = type
        self.payload = payload
    }
}

/// An nfdump 1.7 file (`nfcapd.*`), mapped read-only, handing out its data blocks in order.
///
/// Layout: ``NfdumpFileHeader`` | data blocks | appendix blocks. Each block is a 12-byte `dataBlock_t`
/// (u32 records, u32 stored size, u16 type, u16 flags) then its payload, compressed as the header says.
/// A block whose header is impossible (size 0 or over 5 MiB, no records) but which fits in the file is
/// counted as corrupt and skipped; a block that runs past the end of the file ends the walk with a
/// warning. The appendix's statistics record (the totals `nfdump -I` prints) is read when present.
public final class NfdumpFile {
    /// The parsed file header.
    public let header: NfdumpFileHeader
    /// The mapped file.
    let storage: ChunkStorage
    /// The appendix statistics, if the file has an appendix with one.
    public private(set) var statistics: NfdumpStatistics?
    /// The appendix ident string (`nfcapd -I`), if any.
    public private(set) var ident: String?
    /// Non-fatal problems: a truncated file, corrupt blocks.
    public private(set) var warnings: [ParseError] = []
    /// Blocks skipped because their header was impossible.
    public private(set) var corruptBlocks = 0
    private var offset = NfdumpFileHeader.size
    private var blocksRead: UInt32 = 0
    private var finished = false

    /// The size of a block header.
    static let blockHeaderSize = 12

    /// Maps `path` and parses its header and appendix.
    ///
    /// - Throws: `ParseError` when the file cannot be read or is not an nfdump 1.7 file.
    public init(path: String) throws(ParseError) {
        let (base, size) = try mapFile(path)
        storage = ChunkStorage(base: base, count: size, release: .unmap)
        header = try NfdumpFileHeader(parsing: storage.bytes)
        readAppendix()
    }

    /// The file's size in bytes.
    public var fileSize: Int { storage.count }

    /// The file's bytes.
    public var bytes: UnsafeRawBufferPointer { storage.bytes }

    /// Where the data blocks end: the appendix, or the end of the file.
    private var dataEnd: Int {
        let appendix = Int(header.appendixOffset)
        return appendix > NfdumpFileHeader.size && appendix <= storage.count ? appendix : storage.count
    }

    /// Returns up to `limit` further data blocks, or an empty array at the end of the data.
    public func nextBlocks(limit: Int) -> [NfdumpRawBlock] {
        var blocks: [NfdumpRawBlock] = []
        while blocks.count < limit, let block = nextBlock() { blocks.append(block) }
        return blocks
    }

    /// The next data block, skipping corrupt ones; `nil` at the end.
    public func nextBlock() -> NfdumpRawBlock? {
        let bytes = storage.bytes
        let end = dataEnd
        while !finished {
            if header.dataBlocks > 0 && blocksRead >= header.dataBlocks { finished = true; break }
            if offset >= end {
                if blocksRead < header.dataBlocks {
                    // The header promised more blocks: the file was cut at a block boundary.
                    warnings.append(.truncated(offset: offset, needed: Self.blockHeaderSize, available: 0))
                }
                finished = true
                break
            }
            guard offset + Self.blockHeaderSize <= end else {
                warnings.append(.truncated(offset: offset, needed: Self.blockHeaderSize, available: end - offset))
                finished = true
                break
            }
            let records = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            let size = Int(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
            let type = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt16.self)
            let payloadStart = offset + Self.blockHeaderSize
            guard size <= end - payloadStart else {
                warnings.append(.truncated(offset: offset, needed: Self.blockHeaderSize + size,
                                           available: end - offset))
                finished = true
                break
            }
            let blockOffset = offset
            offset = payloadStart + size
            blocksRead += 1
            if size == 0 || size > NfdumpFileHeader.maximumBlockSize {
                corruptBlocks += 1
                warnings.append(.invalidLength(offset: blockOffset + 4, field: "nfdump block size", value: size))
                continue
            }
            if records == 0 {
                corruptBlocks += 1
                warnings.append(.invalidLength(offset: blockOffset, field: "nfdump block record count", value: 0))
                continue
            }
            return NfdumpRawBlock(offset: blockOffset, recordCount: records, type: type,
                                  payload: payloadStart..<(payloadStart + size))
        }
        return nil
    }

    /// Notes a block that failed to decompress (called by the decoder's owner).
    public func noteCorrupt(_ block: NfdumpRawBlock, detail: String) {
        corruptBlocks += 1
        warnings.append(.corruptStream(offset: block.offset, detail: detail))
    }

    /// Reads the appendix block for the ident and statistics records; problems there are ignored (the
    /// appendix is a summary, the data blocks are the truth).
    private func readAppendix() {
        let bytes = storage.bytes
        let start = Int(header.appendixOffset)
        // `start` is the header's 64-bit appendix offset: compare it without adding to it.
        guard header.appendixBlocks > 0, start >= NfdumpFileHeader.size,
              start <= bytes.count - Self.blockHeaderSize else { return }
        let records = Int(bytes.loadUnaligned(fromByteOffset: start, as: UInt32.self))
        let size = Int(bytes.loadUnaligned(fromByteOffset: start + 4, as: UInt32.self))
        let payloadStart = start + Self.blockHeaderSize
        guard size > 0, size <= bytes.count - payloadStart, size <= NfdumpFileHeader.maximumBlockSize else { return }
        let codec = NfdumpBlockCodec(compression: header.compression)
        let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: NfdumpFileHeader.maximumBlockSize, alignment: 16)
        defer { plain.deallocate() }
        guard let plainSize = codec.decompress(UnsafeRawBufferPointer(rebasing: bytes[payloadStart..<(payloadStart + size)]),
                                               into: plain) else { return }
        let payload = UnsafeRawBufferPointer(rebasing: plain[..<plainSize])
        var at = 0
        for _ in 0..<records {
            guard at + 4 <= payload.count else { break }
            let type = payload.loadUnaligned(fromByteOffset: at, as: UInt16.self)
            let length = Int(payload.loadUnaligned(fromByteOffset: at + 2, as: UInt16.self))
            guard length >= 4, at + length <= payload.count else { break }
            let body = UnsafeRawBufferPointer(rebasing: payload[(at + 4)..<(at + length)])
            switch type {
            case 0x8001:
                ident = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
            case 0x8002 where body.count >= NfdumpStatistics.size:
                statistics = NfdumpStatistics(payload: body)
            default:
                break
            }
            at += length
        }
    }
}
