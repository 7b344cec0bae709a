/// The hash a flow table keys a flow on, and which endpoint of a packet is the key's first: worked out once
/// per packet, where it is decoded (``PacketKeyHashes``), and by the flow table for its own slots.
public enum FlowKeyHash {
    /// A hash of a canonical (already ordered) flow key; never 0 or 1, which mark empty and deleted slots.
    ///
    /// Each word of the key is multiplied by its own odd constant, the products are combined, and one
    /// SplitMix64 finaliser (``mix64(_:)``) mixes the result: the multiplications are independent, so the
    /// CPU runs them side by side, and the finaliser spreads every input bit over every output bit.
    @inlinable @inline(__always)
    public static func key(_ aHigh: UInt64, _ aLow: UInt64, _ bHigh: UInt64, _ bLow: UInt64,
                           _ aPort: UInt16, _ bPort: UInt16, _ proto: UInt16) -> UInt64 {
        let ports = UInt64(aPort) << 32 | UInt64(bPort) << 16 | UInt64(proto)
        let addresses = (aLow &* 0x9E37_79B9_7F4A_7C15) ^ (bLow &* 0xC2B2_AE3D_27D4_EB4F)
            ^ (aHigh &* 0x1656_67B1_9E37_79F9) ^ (bHigh &* 0xD6E8_FEB8_6659_FD93)
        let h = mix64(addresses &+ (ports &* 0xFF51_AFD7_ED55_8CCD))
        return h < 2 ? h &+ 2 : h
    }

    /// The key hash of a packet from (`src`, `srcPort`) to (`dst`, `dstPort`) with key protocol `proto`
    /// (the IP protocol, 0x100 for a link-layer frame), and whether its source is the key's first endpoint
    /// (``IPAddress/endpointPrecedes(_:_:_:_:)``).
    @inlinable @inline(__always)
    public static func packet(src: IPAddress, srcPort: UInt16, dst: IPAddress, dstPort: UInt16,
                              proto: UInt16) -> (hash: UInt64, srcFirst: Bool) {
        let srcFirst = IPAddress.endpointPrecedes(src, srcPort, dst, dstPort)
        let hash = srcFirst
            ? key(src.high, src.low, dst.high, dst.low, srcPort, dstPort, proto)
            : key(dst.high, dst.low, src.high, src.low, dstPort, srcPort, proto)
        return (hash, srcFirst)
    }
}

/// Each packet's flow-key hash (0 for a fragment, whose flow its shard works out) and orientation, and the
/// packets' time range, written by the decoding loop beside the batch's columns: a second pass over the
/// columns to work them out read every address again (a tenth of the decoding tasks' instructions).
public struct PacketKeyHashes: Sendable {
    /// ``FlowKeyHash/packet(src:srcPort:dst:dstPort:proto:)``'s hash of each packet; 0 for fragments.
    public var hashes: [UInt64] = []
    /// Whether each packet's source is its key's first endpoint (false for fragments).
    public var srcFirst: [Bool] = []
    /// The earliest packet time (`.max` for none).
    public var earliest: Int64 = .max
    /// The latest packet time (`.min` for none).
    public var latest: Int64 = .min

    /// None yet.
    public init() {}
}
