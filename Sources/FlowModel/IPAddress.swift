/// An IPv4 or IPv6 address held as 128 bits, IPv4 as an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`).
///
/// The two halves are the address read as big-endian integers, so comparing `high` then `low` orders
/// addresses numerically and prefix arithmetic is plain shifting. Link-layer (MAC) addresses of non-IP
/// frames are carried in `low` with `high == 0` by ``PacketBatch`` and ``FlowBatch``; their `kind`
/// column says which reading applies.
@frozen
public struct IPAddress: Hashable, Sendable, Comparable {
    /// The first 64 bits of the address, big-endian as an integer.
    public var high: UInt64
    /// The last 64 bits of the address, big-endian as an integer.
    public var low: UInt64

    /// Creates an address from its two 64-bit halves.
    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates the IPv4-mapped form of an IPv4 address given in host byte order (`10.0.0.1` is `0x0A00_0001`).
    @inlinable
    public init(v4 value: UInt32) {
        self.high = 0
        self.low = 0x0000_FFFF_0000_0000 | UInt64(value)
    }

    /// Whether this is an IPv4 address (IPv4-mapped IPv6 form).
    @inlinable
    public var isIPv4: Bool { high == 0 && (low >> 32) == 0xFFFF }

    /// The IPv4 address in host byte order; meaningful only when ``isIPv4`` is true.
    @inlinable
    public var v4: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// The unspecified address `::`.
    public static let zero = IPAddress(high: 0, low: 0)

    @inlinable
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }
}

extension IPAddress {
    /// Whether endpoint (`x`, `xPort`) comes first in a canonical 5-tuple with (`y`, `yPort`): the lower
    /// address, then the lower port (equal endpoints: `x`). Flow tables and burst tracks order keys so.
    @inlinable
    public static func endpointPrecedes(_ x: IPAddress, _ xPort: UInt16, _ y: IPAddress, _ yPort: UInt16) -> Bool {
        x.high != y.high ? x.high < y.high : x.low != y.low ? x.low < y.low : xPort <= yPort
    }
}
