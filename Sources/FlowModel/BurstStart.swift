/// The first packet of a burst in a TCP or UDP 5-tuple: its first packet, or one after at least the
/// quiet gap without any.
///
/// The flow table notes them while it updates flows (a comparison with the flow's last packet time it
/// reads anyway), so intra-flow beacon detection needs no per-packet lookup of its own. The 5-tuple is
/// canonical: endpoint `a` is the lower one (address, then port), as the flow table orders keys.
public struct BurstStart: Sendable, Hashable {
    /// The lower endpoint's address.
    public var a: IPAddress
    /// The higher endpoint's address.
    public var b: IPAddress
    /// The lower endpoint's port.
    public var aPort: UInt16
    /// The higher endpoint's port.
    public var bPort: UInt16
    /// The IP protocol (TCP or UDP).
    public var proto: UInt8
    /// Whether `b` initiated the flow the packet belongs to, as the flow table decided it.
    public var initiatorIsB: Bool
    /// The packet's time, ns since the epoch.
    public var timestamp: Int64

    /// Creates a burst start; `a` must be the lower endpoint (see ``IPAddress/endpointPrecedes(_:_:_:_:)``).
    @inlinable
    public init(a: IPAddress, b: IPAddress, aPort: UInt16, bPort: UInt16, proto: UInt8, initiatorIsB: Bool,
                timestamp: Int64) {
        self.a = a
        self.b = b
        self.aPort = aPort
        self.bPort = bPort
        self.proto = proto
        self.initiatorIsB = initiatorIsB
        self.timestamp = timestamp
    }

}
