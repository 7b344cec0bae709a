/// The first packet of a burst in a TCP or UDP 5-tuple: a flow's first packet, or one after at least the
/// quiet gap without any.
///
/// The flow table notes them while it updates flows (a comparison with the flow's last packet time it
/// reads anyway), so intra-flow beacon detection needs no per-packet lookup of its own. The 5-tuple is
/// canonical: endpoint `a` is the lower one (address, then port), as the flow table orders keys.
///
/// A TCP connection opened by a SYN is noted only from its first quiet gap on: that burst start carries
/// the connection's first packet in ``flowStart``, so the connection's own start is not lost, while the
/// many connections with no gap at all (most of them) cost the intra-flow tracker nothing. Their
/// starts are what connection-level beacon detection reads. A UDP flow's first packet (or a TCP flow's
/// caught mid-connection) is noted at once, since a UDP beacon whose period passes the idle timeout is a
/// new flow each beat.
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
    /// The first packet time of the flow the burst belongs to (equal to ``timestamp`` when the burst is
    /// the flow's first packet), or ``unknownFlowStart`` in a piece that continues a flow cut by the
    /// active timeout. A tracker that has not seen this flow start yet counts it as a burst start too.
    public var flowStart: Int64

    /// ``flowStart`` of a burst whose flow start is not known (a continuation piece).
    @inlinable public static var unknownFlowStart: Int64 { .min }

    /// Creates a burst start; `a` must be the lower endpoint (see ``IPAddress/endpointPrecedes(_:_:_:_:)``).
    /// `flowStart` defaults to `timestamp`: the burst is its flow's first packet.
    @inlinable
    public init(a: IPAddress, b: IPAddress, aPort: UInt16, bPort: UInt16, proto: UInt8, initiatorIsB: Bool,
                timestamp: Int64, flowStart: Int64? = nil) {
        self.a = a
        self.b = b
        self.aPort = aPort
        self.bPort = bPort
        self.proto = proto
        self.initiatorIsB = initiatorIsB
        self.timestamp = timestamp
        self.flowStart = flowStart ?? timestamp
    }

}
