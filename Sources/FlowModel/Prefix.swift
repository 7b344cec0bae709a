/// A CIDR prefix over the 128-bit ``IPAddress`` space: `10.0.0.0/8`, `2001:db8::/32`, `0.0.0.0/0`.
///
/// IPv4 prefixes are held in IPv4-mapped form, so `10.0.0.0/8` is `::ffff:10.0.0.0/104` and matches
/// exactly the IPv4 addresses ``IPAddress`` stores for 10.x.y.z, never an IPv6 address. `0.0.0.0/0`
/// is every IPv4 address (`::ffff:0:0/96`); `::/0` is every address, IPv4 included.
///
/// The stored ``address`` always has its host bits cleared, so two prefixes that cover the same
/// addresses compare equal whatever text they were parsed from.
@frozen
public struct Prefix: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The network address, host bits zero.
    public let address: IPAddress
    /// The prefix length in the 128-bit space (IPv4 prefixes are 96 more than their written length).
    public let length: UInt8

    /// Creates the prefix of `length` bits (0–128, clamped) covering `address`.
    ///
    /// - Parameters:
    ///   - address: Any address inside the prefix; host bits are cleared.
    ///   - length: Prefix length in the 128-bit space.
    @inlinable
    public init(address: IPAddress, length: Int) {
        let bits = UInt8(clamping: max(0, min(128, length)))
        self.length = bits
        let (maskHigh, maskLow) = Prefix.masks(Int(bits))
        self.address = IPAddress(high: address.high & maskHigh, low: address.low & maskLow)
    }

    /// Creates an IPv4 prefix from its written length (0–32).
    ///
    /// - Parameters:
    ///   - v4: Any IPv4 address inside the prefix, host byte order.
    ///   - length: Written prefix length, 0–32 (clamped).
    @inlinable
    public init(v4: UInt32, length: Int) {
        self.init(address: IPAddress(v4: v4), length: 96 + max(0, min(32, length)))
    }

    /// The prefix holding exactly `address` (`/32` for IPv4, `/128` for IPv6).
    @inlinable
    public init(host address: IPAddress) {
        self.init(address: address, length: 128)
    }

    /// Parses `a.b.c.d/n` (n 0–32), `x:y::/n` (n 0–128), or a bare address (a host prefix).
    ///
    /// IPv6 text of an IPv4-mapped address (`::ffff:10.0.0.0/104`) is accepted as written. Leading and
    /// trailing spaces are ignored; anything else that is not a prefix returns `nil`.
    ///
    /// - Parameter text: The prefix text.
    public init?(_ text: some StringProtocol) {
        var string = Substring(text)
        while string.first == " " { string.removeFirst() }
        while string.last == " " { string.removeLast() }
        let parts = string.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let address = IPAddress(first) else { return nil }
        let isV4Text = !first.contains(":")
        let maximum = isV4Text ? 32 : 128
        var written = maximum
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber),
                  parts[1].count <= 3, let value = Int(parts[1]), value <= maximum else { return nil }
            written = value
        }
        self.init(address: address, length: isV4Text ? 96 + written : written)
    }

    /// Whether this is an IPv4 prefix (inside `::ffff:0:0/96`).
    @inlinable
    public var isIPv4: Bool { length >= 96 && address.isIPv4 }

    /// The length as written: 0–32 for IPv4, 0–128 for IPv6.
    @inlinable
    public var writtenLength: Int { isIPv4 ? Int(length) - 96 : Int(length) }

    /// Whether `candidate` lies inside the prefix.
    ///
    /// - Parameter candidate: The address to test.
    @inlinable
    public func contains(_ candidate: IPAddress) -> Bool {
        let (maskHigh, maskLow) = Prefix.masks(Int(length))
        return candidate.high & maskHigh == address.high && candidate.low & maskLow == address.low
    }

    /// Whether every address of `other` lies inside this prefix.
    ///
    /// - Parameter other: The prefix to test.
    @inlinable
    public func contains(_ other: Prefix) -> Bool {
        other.length >= length && contains(other.address)
    }

    /// `a.b.c.d/n` for IPv4, `x::/n` for IPv6.
    public var description: String { "\(address)/\(writtenLength)" }

    /// Orders by address, then by length (shorter first).
    public static func < (lhs: Prefix, rhs: Prefix) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : lhs.length < rhs.length
    }

    /// The masks of the high and low halves for a prefix of `length` bits (0–128).
    @inlinable
    static func masks(_ length: Int) -> (UInt64, UInt64) {
        if length <= 0 { return (0, 0) }
        if length >= 128 { return (.max, .max) }
        if length <= 64 { return (length == 64 ? .max : ~(UInt64.max >> UInt64(length)), 0) }
        return (.max, ~(UInt64.max >> UInt64(length - 64)))
    }
}

extension Prefix {
    /// RFC 1918 private IPv4 space plus IPv6 unique-local `fc00::/7`: the default `internal` set.
    public static let privateRanges: [Prefix] = [
        Prefix(v4: 0x0A00_0000, length: 8),
        Prefix(v4: 0xAC10_0000, length: 12),
        Prefix(v4: 0xC0A8_0000, length: 16),
        Prefix(address: IPAddress(high: 0xFC00_0000_0000_0000, low: 0), length: 7),
    ]
}
