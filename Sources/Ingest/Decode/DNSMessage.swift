public import FlowModel

/// Why a DNS message could not be read. Offsets count from the start of the DNS message.
public enum DNSParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The message ends before a field that starts at `offset` (`needed` bytes).
    case truncated(offset: Int, needed: Int)
    /// A compression pointer at `offset` points at or past itself, or too many pointers were followed.
    case pointerLoop(offset: Int)
    /// A label at `offset` uses the reserved `0x40`/`0x80` length bits, or a name is longer than 255 bytes.
    case badLabel(offset: Int)
    /// The message is a query, not a response.
    case notResponse

    /// One line naming the problem and its offset.
    public var description: String {
        switch self {
        case let .truncated(offset, needed): "DNS message truncated at offset \(offset) (needed \(needed) bytes)"
        case let .pointerLoop(offset): "DNS compression pointer loop at offset \(offset)"
        case let .badLabel(offset): "bad DNS label at offset \(offset)"
        case .notResponse: "DNS message is not a response"
        }
    }
}

/// Reads the address answers out of a DNS response (RFC 1035): A and AAAA records, with CNAME chains
/// followed back to the name the client asked for.
///
/// Every read is bounds-checked against the message; compression pointers must point backwards
/// (RFC 1035 §4.1.4 only ever points to a prior occurrence) and at most ``maxPointers`` are followed
/// per name, so a crafted loop ends with ``DNSParseError/pointerLoop(offset:)``. Names are returned in
/// lower case without the trailing dot.
public enum DNSMessage {
    /// One A/AAAA record of a response, keyed by the name the client looked up.
    public struct AddressRecord: Hashable, Sendable {
        /// The queried name (head of the CNAME chain that leads to the record).
        public var name: String
        /// The address (IPv4 in IPv4-mapped form).
        public var address: IPAddress
        /// The record's TTL in seconds.
        public var ttl: UInt32
    }

    /// Most compression pointers followed while reading one name.
    public static let maxPointers = 32
    /// Most CNAME links walked back from an address record to the queried name.
    public static let maxChain = 16
    /// Record type A.
    static let typeA: UInt16 = 1
    /// Record type CNAME.
    static let typeCNAME: UInt16 = 5
    /// Record type AAAA.
    static let typeAAAA: UInt16 = 28

    /// The A/AAAA answers of the response in `message`.
    ///
    /// - Parameter message: The DNS message (UDP payload, or TCP payload after the length prefix).
    /// - Returns: One record per A/AAAA answer of class IN, in message order.
    /// - Throws: ``DNSParseError`` for a query, a cut message, a pointer loop or a bad label.
    public static func addressAnswers(_ message: UnsafeRawBufferPointer) throws(DNSParseError) -> [AddressRecord] {
        let reader = Reader(bytes: message)
        guard message.count >= 12 else { throw .truncated(offset: 0, needed: 12) }
        let flags = reader.be16(2)
        guard flags & 0x8000 != 0 else { throw .notResponse }
        let questions = Int(reader.be16(4))
        let answers = Int(reader.be16(6))
        var offset = 12
        for _ in 0..<questions {
            _ = try reader.name(at: &offset)
            try reader.need(offset, 4)
            offset += 4
        }
        var aliasOf: [String: String] = [:]  // CNAME target → alias
        var records: [AddressRecord] = []
        for _ in 0..<answers {
            let owner = try reader.name(at: &offset)
            try reader.need(offset, 10)
            let type = reader.be16(offset)
            let klass = reader.be16(offset + 2)
            let ttl = UInt32(reader.be16(offset + 4)) << 16 | UInt32(reader.be16(offset + 6))
            let length = Int(reader.be16(offset + 8))
            offset += 10
            try reader.need(offset, length)
            let dataStart = offset
            offset += length
            guard klass & 0x7FFF == 1 else { continue }
            switch type {
            case typeA where length == 4:
                let v4 = UInt32(reader.be16(dataStart)) << 16 | UInt32(reader.be16(dataStart + 2))
                records.append(AddressRecord(name: owner, address: IPAddress(v4: v4), ttl: ttl))
            case typeAAAA where length == 16:
                let high = UInt64(reader.be32(dataStart)) << 32 | UInt64(reader.be32(dataStart + 4))
                let low = UInt64(reader.be32(dataStart + 8)) << 32 | UInt64(reader.be32(dataStart + 12))
                records.append(AddressRecord(name: owner, address: IPAddress(high: high, low: low), ttl: ttl))
            case typeCNAME:
                var targetOffset = dataStart
                let target = try reader.name(at: &targetOffset)
                guard targetOffset <= offset else { throw .truncated(offset: dataStart, needed: length) }
                if aliasOf[target] == nil { aliasOf[target] = owner }
            default:
                break
            }
        }
        for index in records.indices {
            var name = records[index].name
            var steps = 0
            while let alias = aliasOf[name], steps < maxChain, alias != name {
                name = alias
                steps += 1
            }
            records[index].name = name
        }
        return records
    }

    /// Bounds-checked big-endian reads over one message.
    struct Reader {
        let bytes: UnsafeRawBufferPointer

        /// Throws unless `count` bytes from `offset` lie inside the message.
        func need(_ offset: Int, _ count: Int) throws(DNSParseError) {
            guard offset >= 0, count >= 0, offset <= bytes.count - count else {
                throw .truncated(offset: offset, needed: count)
            }
        }

        /// The big-endian 16-bit integer at `offset` (checked by the caller).
        func be16(_ offset: Int) -> UInt16 {
            UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        }

        /// The big-endian 32-bit integer at `offset` (checked by the caller).
        func be32(_ offset: Int) -> UInt32 {
            UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }

        /// Reads the (possibly compressed) name at `offset`, advancing `offset` past it in the message.
        func name(at offset: inout Int) throws(DNSParseError) -> String {
            var text: [UInt8] = []
            var cursor = offset
            var jumped = false
            var pointers = 0
            var lowestTarget = offset
            while true {
                try need(cursor, 1)
                let length = Int(bytes[cursor])
                switch length & 0xC0 {
                case 0xC0:
                    try need(cursor, 2)
                    let target = Int(be16(cursor) & 0x3FFF)
                    pointers += 1
                    guard target < lowestTarget, pointers <= DNSMessage.maxPointers else {
                        throw .pointerLoop(offset: cursor)
                    }
                    lowestTarget = target
                    if !jumped { offset = cursor + 2 }
                    jumped = true
                    cursor = target
                case 0x00:
                    if length == 0 {
                        if !jumped { offset = cursor + 1 }
                        return String(decoding: text, as: UTF8.self)
                    }
                    try need(cursor + 1, length)
                    guard text.count + length + 1 <= 255 else { throw .badLabel(offset: cursor) }
                    if !text.isEmpty { text.append(UInt8(ascii: ".")) }
                    for byte in bytes[(cursor + 1)..<(cursor + 1 + length)] {
                        // Lower-case ASCII letters; a byte that is not printable ASCII (or a dot inside a
                        // label) becomes one `?`, so the text is valid UTF-8 of at most 255 bytes, like
                        // the name on the wire (decoding raw bytes as UTF-8 could triple them).
                        switch byte {
                        case 0x41...0x5A: text.append(byte | 0x20)
                        case 0x21...0x7E where byte != UInt8(ascii: "."): text.append(byte)
                        default: text.append(UInt8(ascii: "?"))
                        }
                    }
                    cursor += 1 + length
                default:
                    throw .badLabel(offset: cursor)
                }
            }
        }
    }
}
