/// A point in time as nanoseconds since the Unix epoch (UTC), the unit every stage uses.
@frozen
public struct Timestamp: Hashable, Comparable, Sendable {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanoseconds: Int64

    /// Creates a timestamp from nanoseconds since the epoch.
    @inlinable
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// Creates a timestamp from whole seconds and a nanosecond fraction.
    @inlinable
    public init(seconds: Int64, nanoseconds fraction: Int64) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ fraction
    }

    /// Seconds since the epoch as a floating-point number.
    @inlinable
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    @inlinable
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// Appends the RFC 3339 UTC form with nine fractional digits, e.g. `2024-03-01T12:00:05.250000000Z`.
    ///
    /// - Parameter out: The buffer the ASCII text is appended to.
    public func appendRFC3339(to out: inout [UInt8]) {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (year, month, day) = Timestamp.civil(fromDays: days)
        appendDigits(year, count: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, count: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(fraction, count: 9, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// The RFC 3339 UTC text of this timestamp.
    public var rfc3339: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(30)
        appendRFC3339(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Year, month and day of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Appends `value` zero-padded to `count` decimal digits (values wider than `count` keep their leading digits).
///
/// The digits are written right to left into a local buffer and appended at once: one capacity check
/// per number instead of one per digit (timestamps are the bulk of a flow line).
func appendDigits(_ value: Int64, count: Int, to out: inout [UInt8]) {
    if value < 0 { out.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: 19 digits and padding to 24
    withUnsafeMutableBytes(of: &scratch) { buffer in
        var index = buffer.count
        repeat {
            index -= 1
            buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        while buffer.count - index < count && index > 0 {
            index -= 1
            buffer[index] = UInt8(ascii: "0")
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
    }
}
