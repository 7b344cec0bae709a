/// The hashes the flow stage keys on.
///
/// Both are symmetric: a packet and its reply hash alike. `pair` covers the two addresses only, so all
/// fragments of a datagram (whose later pieces carry no ports) and both directions land in one shard.
enum FlowHash {
    /// SplitMix64's finaliser: every input bit affects every output bit. Never hash raw network-order
    /// IPv4 values by their low bits (REFERENCES §3: tcpdump's 10.x.x.x collisions).
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

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
