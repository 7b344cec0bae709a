/// The block compression an nfdump file declares in its header (`fileHeaderV2_t.compression`).
public enum NfdumpCompression: UInt8, Sendable, CaseIterable {
    /// Blocks stored as they are.
    case none = 0
    /// Raw LZO1X blocks (`nfcapd -z` in 1.7.1).
    case lzo = 1
    /// One bzip2 stream per block (`-j`).
    case bz2 = 2
    /// Raw LZ4 blocks (`-y`).
    case lz4 = 3
    /// One zstd frame per block (nfdump 1.7.3 and later).
    case zstd = 4

    /// The name used in reports.
    public var name: String {
        switch self {
        case .none: "none"
        case .lzo: "lzo"
        case .bz2: "bz2"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}

/// The 40-byte header of an nfdump 1.7 file (`fileHeaderV2_t`, layout version 2), in host (little-endian)
/// byte order as nfcapd writes it on x86-64 and arm64.
///
/// | off | field |
/// |---|---|
/// | 0 | u16 magic `0xA50C` |
/// | 2 | u16 version `2` |
/// | 4 | u32 nfdump version |
/// | 8 | i64 created (unix seconds) |
/// | 16 | u8 compression, u8 encryption, u16 appendix blocks |
/// | 20 | u32 creator (1.7.2+) |
/// | 24 | i64 appendix offset |
/// | 32 | u32 block size (unused), u32 data blocks |
public struct NfdumpFileHeader: Sendable, Hashable {
    /// The magic number as read on a little-endian host.
    public static let magic: UInt16 = 0xA50C
    /// The header's size in bytes.
    public static let size = 40
    /// The largest plain block nfdump reads (`BUFFSIZE`, 5 MiB); larger blocks are corrupt.
    public static let maximumBlockSize = 5 << 20

    /// The writer's version, e.g. `0x01070100` for 1.7.1.
    public var nfdumpVersion: UInt32
    /// Creation time, unix seconds.
    public var created: Int64
    /// How every block is compressed.
    public var compression: NfdumpCompression
    /// Number of appendix blocks.
    public var appendixBlocks: UInt16
    /// Creator id (1 nfcapd, 2 nfpcapd, …; 0 in 1.7.1).
    public var creator: UInt32
    /// File offset of the appendix, 0 when none was written.
    public var appendixOffset: Int64
    /// Number of data blocks (the appendix not included); 0 while nfcapd is still writing the file.
    public var dataBlocks: UInt32

    /// Whether `bytes` begin with the nfdump magic (either byte order) — the content test for detection.
    public static func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 4 else { return false }
        let magic = bytes.loadUnaligned(as: UInt16.self)
        return magic == Self.magic || magic == Self.magic.byteSwapped
    }

    /// Parses the header at the start of `bytes`.
    ///
    /// - Throws: `ParseError.truncated` for fewer than 40 bytes, `.badMagic` for another magic,
    ///   `.unsupported` for a byte-swapped file, layout version 1 (nfdump 1.6), encryption or an unknown
    ///   compression.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        guard bytes.count >= Self.size else {
            throw .truncated(offset: 0, needed: Self.size, available: bytes.count)
        }
        let magic = bytes.loadUnaligned(fromByteOffset: 0, as: UInt16.self)
        if magic == Self.magic.byteSwapped {
            throw .unsupported(offset: 0, what: "nfdump file written on a big-endian machine")
        }
        guard magic == Self.magic else {
            throw .badMagic(offset: 0, value: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        }
        let version = bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
        guard version == 2 else {
            throw .unsupported(offset: 2, what: "nfdump file layout version \(version) (medflow reads layout 2, nfdump 1.7)")
        }
        nfdumpVersion = bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        created = bytes.loadUnaligned(fromByteOffset: 8, as: Int64.self)
        let rawCompression = bytes.load(fromByteOffset: 16, as: UInt8.self)
        guard let compression = NfdumpCompression(rawValue: rawCompression) else {
            throw .unsupported(offset: 16, what: "nfdump compression id \(rawCompression)")
        }
        self.compression = compression
        let encryption = bytes.load(fromByteOffset: 17, as: UInt8.self)
        guard encryption == 0 else { throw .unsupported(offset: 17, what: "nfdump encryption id \(encryption)") }
        appendixBlocks = bytes.loadUnaligned(fromByteOffset: 18, as: UInt16.self)
        creator = bytes.loadUnaligned(fromByteOffset: 20, as: UInt32.self)
        appendixOffset = bytes.loadUnaligned(fromByteOffset: 24, as: Int64.self)
        dataBlocks = bytes.loadUnaligned(fromByteOffset: 36, as: UInt32.self)
    }
}

/// The `stat_record_t` nfcapd writes into the appendix: the totals `nfdump -I` prints.
public struct NfdumpStatistics: Sendable, Hashable {
    /// Flow records.
    public var flows: UInt64
    /// Bytes over all records.
    public var bytes: UInt64
    /// Packets over all records.
    public var packets: UInt64
    /// First and last flow time, ms since the epoch.
    public var firstSeenMs: UInt64
    public var lastSeenMs: UInt64
    /// Sequence failures the collector saw.
    public var sequenceFailures: UInt64

    /// The record's size: 18 u64 values.
    static let size = 144

    /// Reads the record's payload (after its 4-byte record header).
    init(payload: UnsafeRawBufferPointer) {
        func u64(_ index: Int) -> UInt64 { payload.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) }
        flows = u64(0)
        bytes = u64(1)
        packets = u64(2)
        firstSeenMs = u64(15)
        lastSeenMs = u64(16)
        sequenceFailures = u64(17)
    }
}
