import FlowModel

/// A packet's flow key with the lower endpoint first, and whether the sender is that endpoint.
struct CanonicalKey {
    let aHigh: UInt64, aLow: UInt64, bHigh: UInt64, bLow: UInt64
    let aPort: UInt16, bPort: UInt16, proto: UInt16
    /// The packet went from A to B.
    let srcFirst: Bool

    @inline(__always)
    init(_ srcHigh: UInt64, _ srcLow: UInt64, _ dstHigh: UInt64, _ dstLow: UInt64,
         _ srcPort: UInt16, _ dstPort: UInt16, _ proto: UInt16) {
        srcFirst = IPAddress.endpointPrecedes(IPAddress(high: srcHigh, low: srcLow), srcPort,
                                              IPAddress(high: dstHigh, low: dstLow), dstPort)
        (aHigh, aLow, bHigh, bLow, aPort, bPort) = srcFirst
            ? (srcHigh, srcLow, dstHigh, dstLow, srcPort, dstPort)
            : (dstHigh, dstLow, srcHigh, srcLow, dstPort, srcPort)
        self.proto = proto
    }

    /// The key of a packet whose orientation is known already (`srcFirst`: its source is endpoint A).
    @inline(__always)
    init(oriented srcFirst: Bool, _ srcHigh: UInt64, _ srcLow: UInt64, _ dstHigh: UInt64, _ dstLow: UInt64,
         _ srcPort: UInt16, _ dstPort: UInt16, _ proto: UInt16) {
        self.srcFirst = srcFirst
        (aHigh, aLow, bHigh, bLow, aPort, bPort) = srcFirst
            ? (srcHigh, srcLow, dstHigh, dstLow, srcPort, dstPort)
            : (dstHigh, dstLow, srcHigh, srcLow, dstPort, srcPort)
        self.proto = proto
    }

    /// The key's hash (never 0 or 1).
    @inline(__always)
    var hash: UInt64 { FlowHash.key(aHigh, aLow, bHigh, bLow, aPort, bPort, proto) }
}
