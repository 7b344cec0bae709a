public import FlowModel

/// Encodes records, field by field, as NDJSON lines or CSV rows into a byte buffer.
///
/// Writers call ``beginRecord()``, one method per field in the schema's order, then ``endRecord()``.
/// Fields are written straight as bytes: no `Codable`, no intermediate strings on the hot path.
public struct RecordEncoder: Sendable {
    /// The encoding.
    public let format: OutputFormat
    /// The encoded bytes so far; callers take and clear them.
    public var bytes: [UInt8] = []
    private var fieldIndex = 0

    /// Creates an encoder for `format`.
    public init(format: OutputFormat) {
        self.format = format
        bytes.reserveCapacity(1 << 16)
    }

    /// Appends the CSV header line for `fields` (nothing for NDJSON).
    public mutating func header(_ fields: [String]) {
        guard format == .csv else { return }
        bytes.append(contentsOf: fields.joined(separator: ",").utf8)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Starts a record.
    public mutating func beginRecord() {
        fieldIndex = 0
        if format == .ndjson { bytes.append(UInt8(ascii: "{")) }
    }

    /// Ends a record with a newline.
    public mutating func endRecord() {
        if format == .ndjson { bytes.append(UInt8(ascii: "}")) }
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Writes one field in a single append: the separator, in NDJSON the quoted key, then the value
    /// `body` writes (at most `capacity` bytes), between quotes in NDJSON when `quoted`.
    @inline(__always)
    private mutating func field(_ name: StaticString, capacity: Int, quoted: Bool = false,
                                _ body: (inout TextCursor) -> Void) {
        let separator = fieldIndex > 0
        fieldIndex += 1
        let json = format == .ndjson
        bytes.withText(capacity: name.utf8CodeUnitCount + capacity + 6) { cursor in
            if separator { cursor.put(UInt8(ascii: ",")) }
            if json {
                cursor.put(UInt8(ascii: "\""))
                cursor.put(name)
                cursor.put(UInt8(ascii: "\""))
                cursor.put(UInt8(ascii: ":"))
                if quoted { cursor.put(UInt8(ascii: "\"")) }
            }
            body(&cursor)
            if json && quoted { cursor.put(UInt8(ascii: "\"")) }
        }
    }

    /// Writes a string field, escaped for JSON or quoted for CSV as needed.
    public mutating func string(_ name: StaticString, _ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            switch format {
            case .ndjson:
                if utf8.contains(where: Self.needsJSONEscape) {
                    field(name, capacity: 0) { _ in }
                    appendJSONString(utf8)
                } else {
                    field(name, capacity: utf8.count, quoted: true) { $0.put(utf8) }
                }
            case .csv:
                if utf8.contains(where: Self.needsCSVQuotes) {
                    field(name, capacity: 0) { _ in }
                    appendQuotedCSVField(utf8)
                } else {
                    field(name, capacity: utf8.count) { $0.put(utf8) }
                }
            }
        }
    }

    /// Writes a field whose text is known to need no escaping (addresses, protocol names) as a string.
    public mutating func plainString(_ name: StaticString, _ write: (inout [UInt8]) -> Void) {
        field(name, capacity: 0) { _ in }
        if format == .ndjson { bytes.append(UInt8(ascii: "\"")) }
        write(&bytes)
        if format == .ndjson { bytes.append(UInt8(ascii: "\"")) }
    }

    /// Writes a field of at most `capacity` bytes of text that needs no escaping, formatted by `write`
    /// (see ``TextCursor``), as a string.
    public mutating func plainText(_ name: StaticString, capacity: Int, _ write: (inout TextCursor) -> Void) {
        field(name, capacity: capacity, quoted: true, write)
    }

    /// Writes an unsigned integer field.
    public mutating func integer(_ name: StaticString, _ value: UInt64) {
        field(name, capacity: 20) { $0.decimal(value) }
    }

    /// Writes a signed integer field.
    public mutating func integer(_ name: StaticString, _ value: Int64) {
        field(name, capacity: 21) { cursor in
            if value < 0 { cursor.put(UInt8(ascii: "-")) }
            cursor.decimal(value.magnitude)
        }
    }

    /// Writes a floating-point field with up to `decimals` decimals (trailing zeros dropped); non-finite
    /// values are written as JSON `null` / an empty CSV field.
    public mutating func number(_ name: StaticString, _ value: Double, decimals: Int = 6) {
        guard value.isFinite else { return null(name) }
        let decimals = min(max(decimals, 0), 18)
        var scale: Double = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e18 else {
            let text = "\(value)"
            return field(name, capacity: text.utf8.count) { cursor in
                for byte in text.utf8 { cursor.put(byte) }
            }
        }
        let whole = UInt64(scaled)
        let factor = UInt64(scale)
        field(name, capacity: 42) { cursor in
            if value < 0 && whole != 0 { cursor.put(UInt8(ascii: "-")) }
            cursor.decimal(whole / factor)
            var fraction = whole % factor
            guard fraction != 0 else { return }
            var digits = decimals
            while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
            cursor.put(UInt8(ascii: "."))
            cursor.digits(fraction, count: digits)
        }
    }

    /// Writes a Boolean field (`true`/`false` in both formats).
    public mutating func boolean(_ name: StaticString, _ value: Bool) {
        field(name, capacity: 5) { $0.put(value ? "true" : "false") }
    }

    /// Writes a missing value: `null` in NDJSON, an empty field in CSV.
    public mutating func null(_ name: StaticString) {
        let json = format == .ndjson
        field(name, capacity: 4) { if json { $0.put("null") } }
    }

    /// Writes a text field, or ``null(_:)`` when `value` is `nil`.
    public mutating func optionalString(_ name: StaticString, _ value: String?) {
        if let value { string(name, value) } else { null(name) }
    }

    /// Writes an IP protocol: `"tcp"`, `"udp"`, `"icmp"`, `"icmpv6"` as text, any other as its number.
    public mutating func protocolField(_ name: StaticString, _ proto: UInt8) {
        switch proto {
        case TransportProtocol.tcp, TransportProtocol.udp, TransportProtocol.icmp, TransportProtocol.icmpv6:
            string(name, TransportProtocol.name(proto))
        default:
            integer(name, UInt64(proto))
        }
    }

    /// Writes a time as an RFC 3339 UTC string with nanoseconds.
    public mutating func timestamp(_ name: StaticString, _ nanoseconds: Int64) {
        field(name, capacity: Timestamp.rfc3339Length, quoted: true) {
            Timestamp(nanoseconds: nanoseconds).writeRFC3339(to: &$0)
        }
    }

    /// Writes an IP address as text.
    public mutating func address(_ name: StaticString, _ address: IPAddress) {
        field(name, capacity: IPAddress.maximumTextLength, quoted: true) { address.write(to: &$0) }
    }

    /// Whether a byte must be escaped in a JSON string.
    private static func needsJSONEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Whether a byte makes a CSV field need quotes.
    private static func needsCSVQuotes(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == 0x0A || byte == 0x0D
    }

    private mutating func appendJSONString(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendQuotedCSVField(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
