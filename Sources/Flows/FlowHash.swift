import FlowModel

/// The hashes the flow stage keys on.
///
/// Both are symmetric: a packet and its reply hash alike. `pair` covers the two addresses only, so all
/// fragments of a datagram (whose later pieces carry no ports) and both directions land in one shard.
enum FlowHash {
    /// ``FlowModel/mix64(_:)``: every input bit affects every output bit.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 { mix64(x) }

    /// A hash of the unordered address pair.
    @inline(__always)
    static func pair(_ srcHigh: UInt64, _ srcLow: UInt64, _ dstHigh: UInt64, _ dstLow: UInt64) -> UInt64 {
        let a = mix(srcLow ^ mix(srcHigh))
        let b = mix(dstLow ^ mix(dstHigh))
        return mix(a &+ b) ^ (a ^ b)  // + and ^ are both symmetric in a and b
    }

    /// A hash of a canonical (already ordered) flow key; never 0 or 1, which mark empty and deleted slots.
    @inline(__always)
    static func key(_ aHigh: UInt64, _ aLow: UInt64, _ bHigh: UInt64, _ bLow: UInt64,
                    _ aPort: UInt16, _ bPort: UInt16, _ proto: UInt16) -> UInt64 {
        let ports = UInt64(aPort) << 32 | UInt64(bPort) << 16 | UInt64(proto)
        let h = mix(aLow ^ mix(aHigh ^ mix(bLow ^ mix(bHigh ^ mix(ports)))))
        return h < 2 ? h &+ 2 : h
    }
}
