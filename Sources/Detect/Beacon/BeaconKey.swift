public import FlowModel

/// A beacon candidate: initiator, responder, responder port and protocol.
public struct BeaconKey: Hashable, Sendable, Comparable {
    /// The initiator.
    public var src: IPAddress
    /// The responder.
    public var dst: IPAddress
    /// The responder's port (for ICMP the query's `type << 8 | code`).
    public var dport: UInt16
    /// The IP protocol number.
    public var proto: UInt8

    /// Creates a key.
    public init(src: IPAddress, dst: IPAddress, dport: UInt16, proto: UInt8) {
        self.src = src
        self.dst = dst
        self.dport = dport
        self.proto = proto
    }

    /// One combined word instead of six: the detectors hash a key per flow.
    public func hash(into hasher: inout Hasher) {
        var h = src.low &* 0x9E37_79B9_7F4A_7C15 ^ dst.low &* 0xC2B2_AE3D_27D4_EB4F
        h ^= (src.high &* 31 ^ dst.high) &+ (UInt64(dport) << 8 | UInt64(proto))
        hasher.combine(h)
    }

    public static func < (lhs: BeaconKey, rhs: BeaconKey) -> Bool {
        if lhs.src != rhs.src { return lhs.src < rhs.src }
        if lhs.dst != rhs.dst { return lhs.dst < rhs.dst }
        if lhs.dport != rhs.dport { return lhs.dport < rhs.dport }
        return lhs.proto < rhs.proto
    }
}
