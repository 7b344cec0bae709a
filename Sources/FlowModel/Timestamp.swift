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
        out.withText(capacity: Self.rfc3339Length) { writeRFC3339(to: &$0) }
    }

    /// The length of the RFC 3339 text: every time an `Int64` of nanoseconds holds (years 1677–2262)
    /// has a four-digit year.
    public static let rfc3339Length = 30

    /// Writes the RFC 3339 UTC form (``rfc3339Length`` bytes) at `cursor`.
    public func writeRFC3339(to cursor: inout TextCursor) {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (year, month, day) = Timestamp.civil(fromDays: days)
        cursor.digits(UInt64(year), count: 4)
        cursor.put(UInt8(ascii: "-"))
        cursor.digits(UInt64(month), count: 2)
        cursor.put(UInt8(ascii: "-"))
        cursor.digits(UInt64(day), count: 2)
        cursor.put(UInt8(ascii: "T"))
        cursor.digits(UInt64(secondOfDay / 3600), count: 2)
        cursor.put(UInt8(ascii: ":"))
        cursor.digits(UInt64(secondOfDay / 60 % 60), count: 2)
        cursor.put(UInt8(ascii: ":"))
        cursor.digits(UInt64(secondOfDay % 60), count: 2)
        cursor.put(UInt8(ascii: "."))
        cursor.digits(UInt64(fraction), count: 9)
        cursor.put(UInt8(ascii: "Z"))
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
