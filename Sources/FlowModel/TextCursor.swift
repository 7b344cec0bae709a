/// A write position in a small buffer that ASCII text is formatted into with plain pointer stores.
///
/// Formatting a field a byte at a time onto a `[UInt8]` pays a capacity and uniqueness check per byte:
/// an egress line of fifteen fields took about 3 µs that way. Writers format each field into a buffer on
/// the stack through a cursor and append it to their output at once (``withText(capacity:_:)``).
///
/// The cursor does not check bounds in release builds: whoever makes one sizes its buffer for the
/// longest text written (the `maximum…` constants of the formatters say how long that is).
@frozen
public struct TextCursor {
    /// The first byte of the buffer.
    public let start: UnsafeMutablePointer<UInt8>
    /// The next byte to write.
    @usableFromInline var position: UnsafeMutablePointer<UInt8>
    /// One past the last byte of the buffer (checked in debug builds only).
    @usableFromInline let limit: UnsafeMutablePointer<UInt8>

    /// A cursor at the start of `buffer`.
    @inlinable
    public init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        start = buffer.baseAddress!
        position = start
        limit = start + buffer.count
    }

    /// The bytes written so far.
    @inlinable public var count: Int { position - start }

    /// The bytes written so far, as a buffer.
    @inlinable public var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start, count: count) }

    /// Writes one byte.
    @inlinable @inline(__always)
    public mutating func put(_ byte: UInt8) {
        assert(position < limit, "TextCursor overflow")
        position.pointee = byte
        position += 1
    }

    /// Writes `bytes`.
    @inlinable @inline(__always)
    public mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        assert(position + bytes.count <= limit, "TextCursor overflow")
        position.update(from: base, count: bytes.count)
        position += bytes.count
    }

    /// Writes the bytes of a static string.
    @inlinable @inline(__always)
    public mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { put($0) }
    }

    /// Writes `value` in decimal, without leading zeros (20 bytes at most).
    @inlinable
    public mutating func decimal(_ value: UInt64) {
        if value < 10 { return put(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value)) }
        var length = 1
        var rest = value / 10
        while rest > 0 { length &+= 1; rest /= 10 }
        digits(value, count: length)
    }

    /// Writes `value` zero-padded to exactly `count` decimal digits (its lowest `count` digits when wider),
    /// two digits per division.
    @inlinable
    public mutating func digits(_ value: UInt64, count: Int) {
        assert(position + count <= limit, "TextCursor overflow")
        let pairs = Self.digitPairs.utf8Start
        var value = value
        var index = count
        while index >= 2 {
            let pair = Int(truncatingIfNeeded: value % 100) &* 2
            value /= 100
            index &-= 2
            position[index] = pairs[pair]
            position[index &+ 1] = pairs[pair &+ 1]
        }
        if index == 1 { position[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10) }
        position += count
    }

    /// "00" to "99", the two digits of each value below 100.
    @usableFromInline static var digitPairs: StaticString {
        """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
    }

    /// Writes `value` in lower-case hexadecimal without leading zeros (4 bytes at most).
    @inlinable
    public mutating func hex(_ value: UInt16) {
        assert(position + 4 <= limit, "TextCursor overflow")
        let count = value == 0 ? 1 : (19 &- value.leadingZeroBitCount) >> 2
        var value = value
        var index = count
        while index > 0 {
            index &-= 1
            position[index] = Self.hexDigit(UInt8(truncatingIfNeeded: value & 0xF))
            value >>= 4
        }
        position += count
    }

    /// Writes `value` as two lower-case hexadecimal digits.
    @inlinable
    public mutating func hexByte(_ value: UInt8) {
        put(Self.hexDigit(value >> 4))
        put(Self.hexDigit(value & 0xF))
    }

    /// The lower-case hexadecimal digit of a nibble.
    @inlinable @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "a") &+ (nibble &- 10)
    }
}

extension Array where Element == UInt8 {
    /// Formats at most `capacity` bytes with `body` into a buffer on the stack and appends them at once.
    @inlinable
    public mutating func withText(capacity: Int, _ body: (inout TextCursor) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var cursor = TextCursor(buffer)
            body(&cursor)
            append(contentsOf: cursor.written)
        }
    }
}
