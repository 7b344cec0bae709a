/// Timeouts and limits of flow assembly, like a flow exporter's.
public struct FlowConfiguration: Sendable, Hashable {
    /// A UDP, ICMP or other non-TCP flow ends after this long without a packet (ns).
    public var idleTimeout: Int64
    /// A TCP flow without FIN or RST ends after this long without a packet (ns).
    public var tcpIdleTimeout: Int64
    /// A flow longer than this is cut; the next piece is marked as a continuation (ns).
    public var activeTimeout: Int64
    /// After FIN from both sides or a RST, packets of the same 5-tuple within this time still belong to
    /// the connection (final ACKs, retransmitted FINs); a SYN always starts a new connection (ns).
    public var tcpCloseLinger: Int64
    /// Most flows open at once (0: no limit). A full table ends its least recently active flows early with
    /// reason `evicted`, as a flow exporter does, so memory is bounded by this and not by the input.
    public var maximumFlows: Int
    /// With a value above 0, each TCP and UDP packet after at least this long without one in its 5-tuple
    /// (and each flow's first packet) is noted as a ``BurstStart`` for intra-flow beacon detection (ns);
    /// 0 notes none.
    public var burstGap: Int64

    /// Creates a configuration; times are in seconds.
    ///
    /// - Parameters:
    ///   - idleTimeout: Idle timeout of non-TCP flows (default 60 s, nfpcapd's inactive timeout).
    ///   - tcpIdleTimeout: Idle timeout of TCP flows (default 300 s).
    ///   - activeTimeout: Active timeout (default 1800 s, Cisco's default).
    ///   - tcpCloseLinger: Linger after a TCP close (default 10 s).
    ///   - maximumFlows: Most flows open at once (default ``defaultMaximumFlows``; 0: no limit).
    ///   - burstGap: Quiet time that starts a burst (default 0: burst starts are not noted).
    public init(idleTimeout: Double = 60, tcpIdleTimeout: Double = 300, activeTimeout: Double = 1800,
                tcpCloseLinger: Double = 10, maximumFlows: Int = FlowConfiguration.defaultMaximumFlows,
                burstGap: Double = 0) {
        self.idleTimeout = Int64(idleTimeout * 1e9)
        self.tcpIdleTimeout = Int64(tcpIdleTimeout * 1e9)
        self.activeTimeout = Int64(activeTimeout * 1e9)
        self.tcpCloseLinger = Int64(tcpCloseLinger * 1e9)
        self.maximumFlows = max(0, maximumFlows)
        self.burstGap = Int64(max(0, burstGap) * 1e9)
    }

    /// Four million open flows: about 800 MB of flow table at most (97 bytes a slot with its control byte, a
    /// shard doubling past seven eighths full).
    public static let defaultMaximumFlows = 4_000_000

    /// How often (in capture time) a shard sweeps its table for ended flows.
    var sweepInterval: Int64 {
        max(1_000_000_000, min(idleTimeout, tcpIdleTimeout, tcpCloseLinger) / 2)
    }
}
