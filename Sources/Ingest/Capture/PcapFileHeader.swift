/// The 24-byte header of a classic pcap file, and how its records are to be read.
public struct PcapFileHeader: Hashable, Sendable {
    /// Whether the file's fields are in the opposite byte order to this machine's.
    public var isByteSwapped: Bool
    /// Whether record timestamps carry nanoseconds (magic `0xA1B23C4D`) rather than microseconds.
    public var hasNanosecondTimestamps: Bool
    /// The capture's snapshot length.
    public var snapLength: UInt32
    /// The link-layer header type of every record.
    public var linkType: LinkType

    /// The size of the file header.
    public static let size = 24
    /// The size of each record header.
    public static let recordHeaderSize = 16
    /// The largest captured length accepted in a record (libpcap's own bound for most link types, ×4).
    public static let maximumRecordLength: UInt32 = 1 << 20

    /// Creates a header description directly (for records medflow writes itself).
    public init(isByteSwapped: Bool, hasNanosecondTimestamps: Bool, snapLength: UInt32, linkType: LinkType) {
        self.isByteSwapped = isByteSwapped
        self.hasNanosecondTimestamps = hasNanosecondTimestamps
        self.snapLength = snapLength
        self.linkType = linkType
    }

    /// Magic numbers as read in this machine's (little-endian) byte order.
    enum Magic {
        static let micro: UInt32 = 0xA1B2_C3D4
        static let nano: UInt32 = 0xA1B2_3C4D
        static let modified: UInt32 = 0xA1B2_CD34
    }

    /// Whether `magic` (the first four bytes as a little-endian integer) opens a classic pcap file.
    public static func isPcapMagic(_ magic: UInt32) -> Bool {
        [Magic.micro, Magic.nano, Magic.modified].contains(magic)
            || [Magic.micro, Magic.nano, Magic.modified].contains(magic.byteSwapped)
    }

    /// Parses the file header at the start of `bytes`.
    ///
    /// - Parameter bytes: The file's first bytes (at least 24).
    /// - Throws: `ParseError.truncated` when fewer than 24 bytes are given, `.badMagic` for another
    ///   format, `.unsupported` for a major version other than 2.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(ParseError) {
        guard bytes.count >= Self.size else {
            throw .truncated(offset: 0, needed: Self.size, available: bytes.count)
        }
        let magic = bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        switch magic {
        case Magic.micro, Magic.modified: (isByteSwapped, hasNanosecondTimestamps) = (false, false)
        case Magic.nano: (isByteSwapped, hasNanosecondTimestamps) = (false, true)
        case Magic.micro.byteSwapped, Magic.modified.byteSwapped: (isByteSwapped, hasNanosecondTimestamps) = (true, false)
        case Magic.nano.byteSwapped: (isByteSwapped, hasNanosecondTimestamps) = (true, true)
        default: throw .badMagic(offset: 0, value: magic)
        }
        let swap = isByteSwapped
        func u16(_ at: Int) -> UInt16 {
            let v = bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)
            return swap ? v.byteSwapped : v
        }
        func u32(_ at: Int) -> UInt32 {
            let v = bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)
            return swap ? v.byteSwapped : v
        }
        let major = u16(4)
        guard major == 2 else { throw .unsupported(offset: 4, what: "pcap version \(major).\(u16(6))") }
        snapLength = u32(16)
        // The top bits of the link-type field may carry an FCS length (pcap-savefile(5)); keep the low 16.
        linkType = LinkType(rawValue: u32(20) & 0xFFFF)
    }

    /// Reads the record header at `offset` of `bytes`: (seconds, fraction, captured, original).
    ///
    /// The caller has checked that 16 bytes are there.
    @inlinable
    func recordHeader(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (UInt32, UInt32, UInt32, UInt32) {
        var seconds = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        var fraction = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
        var captured = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
        var original = bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)
        if isByteSwapped {
            seconds = seconds.byteSwapped
            fraction = fraction.byteSwapped
            captured = captured.byteSwapped
            original = original.byteSwapped
        }
        return (seconds, fraction, captured, original)
    }

    /// One more than the largest valid timestamp fraction of a record: 10⁹ with nanosecond timestamps,
    /// else 10⁶.
    @inlinable
    var timestampFractionLimit: UInt32 { hasNanosecondTimestamps ? 1_000_000_000 : 1_000_000 }

    /// Converts a record's timestamp fields to nanoseconds since the epoch.
    @inlinable
    func timestamp(seconds: UInt32, fraction: UInt32) -> Int64 {
        Int64(seconds) &* 1_000_000_000 &+ (hasNanosecondTimestamps ? Int64(fraction) : Int64(fraction) &* 1000)
    }
}
