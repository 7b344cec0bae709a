public import FlowModel

/// Encodes records, field by field, as NDJSON lines or CSV rows into a byte buffer.
///
/// Writers call ``beginRecord()``, one method per field in the schema's order, then ``endRecord()``.
/// Fields are written straight as bytes: no `Codable`, no intermediate strings on the hot path. Each field
/// is formatted in place at the end of the encoder's own buffer through a ``TextCursor``, after one
/// capacity check: appending each field's text to a `[UInt8]` (a uniqueness and capacity check and a copy
/// per field) was a fifth of the encoding.
public struct RecordEncoder: Sendable {
    /// The encoding.
    public let format: OutputFormat
    private var storage: EncodedBytes
    private var fieldIndex = 0

    /// Creates an encoder for `format`.
    public init(format: OutputFormat) {
        self.format = format
        storage = EncodedBytes(capacity: 1 << 16)
    }

    /// The encoded bytes so far (a copy; writers use ``withBytes(_:)`` and ``removeAll()``).
    public var bytes: [UInt8] { withBytes { Array($0) } }

    /// The number of encoded bytes so far.
    public var count: Int { storage.count }

    /// Calls `body` with the encoded bytes so far.
    public func withBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: storage.base, count: storage.count))
    }

    /// Forgets the encoded bytes, keeping the buffer.
    public mutating func removeAll() {
        if isKnownUniquelyReferenced(&storage) { storage.count = 0 } else { storage = EncodedBytes(capacity: 1 << 16) }
    }

    /// The storage, unshared and with room for `extra` more bytes.
    @inline(__always)
    private mutating func room(_ extra: Int) -> EncodedBytes {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        storage.reserve(extra)
        return storage
    }

    /// Appends one byte.
    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        let s = room(1)
        s.base[s.count] = byte
        s.count &+= 1
    }

    /// Appends `bytes`.
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        let s = room(bytes.count)
        (s.base + s.count).update(from: source, count: bytes.count)
        s.count &+= bytes.count
    }

    /// Appends the CSV header line for `fields` (nothing for NDJSON).
    public mutating func header(_ fields: [String]) {
        guard format == .csv else { return }
        var line = Array(fields.joined(separator: ",").utf8)
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBufferPointer { append($0) }
    }

    /// Starts a record.
    public mutating func beginRecord() {
        fieldIndex = 0
        if format == .ndjson { append(UInt8(ascii: "{")) }
    }

    /// Ends a record with a newline.
    public mutating func endRecord() {
        if format == .ndjson { append(UInt8(ascii: "}")) }
        append(UInt8(ascii: "\n"))
    }

    /// Writes one field in place: the separator, in NDJSON the quoted key, then the value `body` writes (at
    /// most `capacity` bytes), between quotes in NDJSON when `quoted`.
    @inline(__always)
    private mutating func field(_ name: StaticString, capacity: Int, quoted: Bool = false,
                                _ body: (inout TextCursor) -> Void) {
        let separator = fieldIndex > 0
        fieldIndex += 1
        let json = format == .ndjson
        let s = room(name.utf8CodeUnitCount + capacity + 6)
        var cursor = TextCursor(UnsafeMutableBufferPointer(start: s.base + s.count, count: s.capacity - s.count))
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
        s.count &+= cursor.count
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
        var text: [UInt8] = []
        write(&text)
        field(name, capacity: text.count, quoted: true) { cursor in text.withUnsafeBufferPointer { cursor.put($0) } }
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
        escaped(utf8, worstCase: 6) { byte, cursor in
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): cursor.put(UInt8(ascii: "\\")); cursor.put(byte)
            case 0x0A: cursor.put("\\n")
            case 0x0D: cursor.put("\\r")
            case 0x09: cursor.put("\\t")
            case 0..<0x20: cursor.put("\\u00"); cursor.hexByte(byte)
            default: cursor.put(byte)
            }
        }
    }

    private mutating func appendQuotedCSVField(_ utf8: UnsafeBufferPointer<UInt8>) {
        escaped(utf8, worstCase: 2) { byte, cursor in
            if byte == UInt8(ascii: "\"") { cursor.put(byte) }
            cursor.put(byte)
        }
    }

    /// Appends `utf8` between double quotes, each byte written by `write` (at most `worstCase` bytes each).
    private mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>, worstCase: Int,
                                  _ write: (UInt8, inout TextCursor) -> Void) {
        let s = room(utf8.count * worstCase + 2)
        var cursor = TextCursor(UnsafeMutableBufferPointer(start: s.base + s.count, count: s.capacity - s.count))
        cursor.put(UInt8(ascii: "\""))
        for byte in utf8 { write(byte, &cursor) }
        cursor.put(UInt8(ascii: "\""))
        s.count &+= cursor.count
    }
}

/// The bytes a ``RecordEncoder`` has encoded: memory of its own that fields are formatted into in place.
/// Shared by copies of an encoder until one of them writes (copy on write).
final class EncodedBytes: @unchecked Sendable {
    // @unchecked: only the encoder that holds the sole reference writes (it copies first otherwise).
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// A copy holding the same bytes.
    func copy() -> EncodedBytes {
        let copy = EncodedBytes(capacity: capacity)
        copy.base.update(from: base, count: count)
        copy.count = count
        return copy
    }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    func reserve(_ extra: Int) {
        if count &+ extra > capacity { grow(to: count + extra) }
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        larger.update(from: base, count: count)
        base.deallocate()
        base = larger
        capacity = newCapacity
    }
}
