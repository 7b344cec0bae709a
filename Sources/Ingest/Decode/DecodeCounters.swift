/// What ``PacketDecoder`` did with the frames it was offered, as plain counts.
///
/// Every call to ``PacketDecoder/decode(frame:wireLength:timestamp:into:counters:)`` adds one to
/// ``frames`` and the frame's wire length to ``wireBytes``, then exactly one of ``ipPackets``,
/// ``linkFrames``, ``tooShort`` or ``malformed``; the last two also add the wire length to
/// ``skippedBytes``. So `ipPackets + linkFrames + tooShort + malformed == frames` always holds.
///
/// Counters from independent decoders (one per shard or input) combine with ``merge(_:)``.
public struct DecodeCounters: Sendable, Hashable {
    /// Every frame offered to the decoder.
    public var frames: UInt64
    /// The sum of the wire (original) length of every frame offered, in bytes.
    public var wireBytes: UInt64
    /// Frames appended to the batch as IP packets.
    public var ipPackets: UInt64
    /// Non-IP frames appended to the batch as link rows (``PacketBatch/Flags/link``).
    public var linkFrames: UInt64
    /// Frames skipped because the captured bytes end before the headers the decoder needs
    /// (a snap length cut inside the headers, or a runt frame).
    public var tooShort: UInt64
    /// Frames skipped because header fields are inconsistent (IPv4 IHL below 5, a wrong IP version,
    /// an IPv4 total length below the header length, too many VLAN tags, MPLS labels or IPv6
    /// extension headers).
    public var malformed: UInt64
    /// The wire bytes of the frames counted in ``tooShort`` and ``malformed``.
    public var skippedBytes: UInt64
    /// DNS responses (from port 53) whose answers were read; only counted by the DNS-reading decode call.
    public var dnsResponses: UInt64 = 0
    /// DNS responses among ``dnsResponses`` that could not be read (cut, pointer loop, bad label).
    public var dnsMalformed: UInt64 = 0

    /// Creates counters that are all zero.
    public init() {
        frames = 0
        wireBytes = 0
        ipPackets = 0
        linkFrames = 0
        tooShort = 0
        malformed = 0
        skippedBytes = 0
    }

    /// Frames appended to a batch: ``ipPackets`` plus ``linkFrames``.
    public var appended: UInt64 { ipPackets &+ linkFrames }

    /// Frames skipped: ``tooShort`` plus ``malformed``.
    public var skipped: UInt64 { tooShort &+ malformed }

    /// Adds `other`'s counts to these.
    ///
    /// - Parameter other: Counters from another decoder, shard or input.
    public mutating func merge(_ other: DecodeCounters) {
        frames &+= other.frames
        wireBytes &+= other.wireBytes
        ipPackets &+= other.ipPackets
        linkFrames &+= other.linkFrames
        tooShort &+= other.tooShort
        malformed &+= other.malformed
        skippedBytes &+= other.skippedBytes
        dnsResponses &+= other.dnsResponses
        dnsMalformed &+= other.dnsMalformed
    }

    /// The sum of two sets of counters.
    ///
    /// - Parameters:
    ///   - lhs: The first counters.
    ///   - rhs: The counters to add.
    /// - Returns: `lhs` merged with `rhs`.
    public static func + (lhs: DecodeCounters, rhs: DecodeCounters) -> DecodeCounters {
        var sum = lhs
        sum.merge(rhs)
        return sum
    }
}
