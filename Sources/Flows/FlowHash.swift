import FlowModel

/// The hashes the flow stage keys on.
///
/// Both are symmetric: a packet and its reply hash alike. `pair` covers the two addresses only, so all
/// fragments of a datagram (whose later pieces carry no ports) and both directions land in one shard.
enum FlowHash {
    /// A hash of the unordered address pair.
    @inline(__always)
    static func pair(_ srcHigh: UInt64, _ srcLow: UInt64, _ dstHigh: UInt64, _ dstLow: UInt64) -> UInt64 {
        let a = mix64(srcLow ^ mix64(srcHigh))
        let b = mix64(dstLow ^ mix64(dstHigh))
        return mix64(a &+ b) ^ (a ^ b)  // + and ^ are both symmetric in a and b
    }

    /// A hash of a canonical (already ordered) flow key; never 0 or 1, which mark empty and deleted slots.
    @inline(__always)
    static func key(_ aHigh: UInt64, _ aLow: UInt64, _ bHigh: UInt64, _ bLow: UInt64,
                    _ aPort: UInt16, _ bPort: UInt16, _ proto: UInt16) -> UInt64 {
        let ports = UInt64(aPort) << 32 | UInt64(bPort) << 16 | UInt64(proto)
        let h = mix64(aLow ^ mix64(aHigh ^ mix64(bLow ^ mix64(bHigh ^ mix64(ports)))))
        return h < 2 ? h &+ 2 : h
    }
}
