public import FlowModel

/// Reads a file of raw NetFlow/IPFIX datagrams, as a collector that stores what it receives would write.
///
/// Two layouts, told apart by the first bytes:
/// - **length-prefixed** (any version): each datagram is preceded by its length as a 4-byte big-endian
///   integer (`u32 length | datagram | u32 length | datagram …`). This is the layout for NetFlow v9,
///   whose header has no length.
/// - **concatenated** (v5 and IPFIX only): messages back to back; each one's length comes from its header
///   (v5: `24 + count × 48`; IPFIX: the message length field).
///
/// A datagram whose length runs past the end of the file ends the read with a truncation warning.
public final class DatagramFileReader {
    /// The layout of a datagram file.
    public enum Layout: Sendable {
        /// `u32` big-endian length before each datagram.
        case lengthPrefixed
        /// Self-delimiting v5/IPFIX messages back to back.
        case concatenated
    }

    private let storage: ChunkStorage
    private var offset = 0
    /// The layout found.
    public let layout: Layout
    /// The decoder holding the exporters' templates.
    public let decoder: FlowExportDecoder
    /// Non-fatal problems (a truncated last datagram).
    public private(set) var warnings: [ParseError] = []

    /// Which layout `bytes` (the start of a file) are in, if either.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> Layout? {
        guard bytes.count >= 8 else { return nil }
        let first = be16(bytes, 0)
        if first == 5 || first == 10 {
            let length = first == 5 ? 24 + Int(be16(bytes, 2)) * 48 : Int(be16(bytes, 2))
            if length >= 16 { return .concatenated }
        }
        let length = Int(be32(bytes, 0))
        let version = be16(bytes, 4)
        if (16...65535).contains(length), [5, 9, 10].contains(version) { return .lengthPrefixed }
        return nil
    }

    /// Maps `path` and finds its layout.
    ///
    /// - Throws: `ParseError.badMagic` when the file is in neither layout.
    public init(path: String, limits: FlowExportLimits = FlowExportLimits()) throws(ParseError) {
        let (base, size) = try mapFile(path)
        storage = ChunkStorage(base: base, count: size, release: .unmap)
        guard let layout = Self.detect(storage.bytes) else {
            let value = size >= 4 ? storage.bytes.loadUnaligned(as: UInt32.self) : 0
            throw .badMagic(offset: 0, value: value)
        }
        self.layout = layout
        decoder = FlowExportDecoder(limits: limits)
    }

    /// The file's size.
    public var fileSize: Int { storage.count }

    /// Decodes up to `maximumDatagrams` datagrams into `batch`; `false` at the end of the file.
    public func next(into batch: inout FlowBatch, maximumDatagrams: Int = 4096) -> Bool {
        let bytes = storage.bytes
        var done = 0
        while done < maximumDatagrams {
            guard offset < bytes.count else { decoder.finish(); return false }
            let start: Int, length: Int
            switch layout {
            case .lengthPrefixed:
                guard offset + 4 <= bytes.count else { return truncated(needed: 4) }
                length = Int(be32(bytes, offset))
                start = offset + 4
            case .concatenated:
                guard offset + 4 <= bytes.count else { return truncated(needed: 4) }
                let version = be16(bytes, offset)
                switch version {
                case 5: length = 24 + Int(be16(bytes, offset + 2)) * 48
                case 10: length = Int(be16(bytes, offset + 2))
                default:
                    warnings.append(.unsupported(offset: offset, what: "datagram version \(version) in a concatenated "
                                                 + "datagram file (only v5 and IPFIX delimit themselves)"))
                    decoder.finish()
                    offset = bytes.count
                    return false
                }
                start = offset
            }
            guard length >= 4 else {
                warnings.append(.invalidLength(offset: offset, field: "datagram length", value: length))
                decoder.finish()
                offset = bytes.count
                return false
            }
            guard length <= bytes.count - start else { return truncated(needed: start - offset + length) }
            decoder.decode(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]), exporter: .zero,
                           into: &batch)
            offset = start + length
            done += 1
        }
        return true
    }

    private func truncated(needed: Int) -> Bool {
        warnings.append(.truncated(offset: offset, needed: needed, available: storage.count - offset))
        offset = storage.count
        decoder.finish()
        return false
    }
}
