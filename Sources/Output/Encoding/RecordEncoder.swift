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

    private mutating func key(_ name: StaticString) {
        let separator = fieldIndex > 0
        fieldIndex += 1
        guard format == .ndjson else {
            if separator { bytes.append(UInt8(ascii: ",")) }
            return
        }
        // `,"name":` assembled on the stack and appended at once: one capacity check per key.
        name.withUTF8Buffer { name in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: name.count + 4) { buffer in
                var index = 0
                if separator { buffer[0] = UInt8(ascii: ","); index = 1 }
                buffer[index] = UInt8(ascii: "\"")
                index += 1
                for byte in name {
                    buffer[index] = byte
                    index += 1
                }
                buffer[index] = UInt8(ascii: "\"")
                buffer[index + 1] = UInt8(ascii: ":")
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<(index + 2)]))
            }
        }
    }

    /// Writes a string field, escaped for JSON or quoted for CSV as needed.
    public mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        var value = value
        value.withUTF8 { utf8 in
            switch format {
            case .ndjson: appendJSONString(utf8)
            case .csv: appendCSVField(utf8)
            }
        }
    }

    /// Writes a field whose text is known to need no escaping (addresses, protocol names) as a string.
    public mutating func plainString(_ name: StaticString, _ write: (inout [UInt8]) -> Void) {
        key(name)
        if format == .ndjson { bytes.append(UInt8(ascii: "\"")) }
        write(&bytes)
        if format == .ndjson { bytes.append(UInt8(ascii: "\"")) }
    }

    /// Writes an unsigned integer field.
    public mutating func integer(_ name: StaticString, _ value: UInt64) {
        key(name)
        appendUnsigned(value)
    }

    /// Writes a signed integer field.
    public mutating func integer(_ name: StaticString, _ value: Int64) {
        key(name)
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendUnsigned(value.magnitude)
    }

    /// Writes a floating-point field with up to `decimals` decimals (trailing zeros dropped); non-finite
    /// values are written as JSON `null` / an empty CSV field.
    public mutating func number(_ name: StaticString, _ value: Double, decimals: Int = 6) {
        key(name)
        guard value.isFinite else {
            if format == .ndjson { bytes.append(contentsOf: "null".utf8) }
            return
        }
        var scale: Double = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e18 else {
            bytes.append(contentsOf: "\(value)".utf8)
            return
        }
        let whole = UInt64(scaled)
        let factor = UInt64(scale)
        if value < 0 && whole != 0 { bytes.append(UInt8(ascii: "-")) }
        appendUnsigned(whole / factor)
        var fraction = whole % factor
        guard fraction != 0 else { return }
        var digits = decimals
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        bytes.append(UInt8(ascii: "."))
        let text = String(fraction)
        for _ in 0..<(digits - text.utf8.count) { bytes.append(UInt8(ascii: "0")) }
        bytes.append(contentsOf: text.utf8)
    }

    /// Writes a Boolean field (`true`/`false` in both formats).
    public mutating func boolean(_ name: StaticString, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// Writes a missing value: `null` in NDJSON, an empty field in CSV.
    public mutating func null(_ name: StaticString) {
        key(name)
        if format == .ndjson { bytes.append(contentsOf: "null".utf8) }
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
        plainString(name) { Timestamp(nanoseconds: nanoseconds).appendRFC3339(to: &$0) }
    }

    /// Writes an IP address as text.
    public mutating func address(_ name: StaticString, _ address: IPAddress) {
        plainString(name) { address.appendText(to: &$0) }
    }

    private mutating func appendUnsigned(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        var value = value
        withUnsafeMutableBytes(of: &buffer) { raw in
            var index = raw.count
            while value > 0 {
                index -= 1
                raw[index] = UInt8(ascii: "0") &+ UInt8(value % 10)
                value /= 10
            }
            bytes.append(contentsOf: raw[index...])
        }
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

    private mutating func appendCSVField(_ utf8: UnsafeBufferPointer<UInt8>) {
        let needsQuotes = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            bytes.append(contentsOf: utf8)
            return
        }
        bytes.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
            bytes.append(byte)
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
