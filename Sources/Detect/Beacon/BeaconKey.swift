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

    public static func < (lhs: BeaconKey, rhs: BeaconKey) -> Bool {
        if lhs.src != rhs.src { return lhs.src < rhs.src }
        if lhs.dst != rhs.dst { return lhs.dst < rhs.dst }
        if lhs.dport != rhs.dport { return lhs.dport < rhs.dport }
        return lhs.proto < rhs.proto
    }
}
