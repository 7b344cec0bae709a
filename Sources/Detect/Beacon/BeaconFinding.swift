/// One reported beacon: a pair whose connection starts (or, for intra-flow beacons, packet bursts) are
/// periodic, with its scores and the context a triage needs.
public struct BeaconFinding: Sendable, Hashable {
    /// How the beats were observed.
    public enum Kind: String, Sendable, Hashable {
        /// Each beat is a new connection (flow start).
        case flow
        /// Beats are bursts of packets inside one long-lived flow.
        case intraFlow = "intra-flow"
    }

    /// Triage severity, highest first.
    public enum Severity: String, Sendable, Hashable, CaseIterable {
        /// Strong periodicity plus most context signals (external, medical zone, rare, new).
        case critical
        /// Strong periodicity plus several context signals.
        case high
        /// Periodic, with some context.
        case medium
        /// Periodic, little context.
        case low
        /// Allow-listed, or periodic internal traffic most sources share.
        case info
    }

    /// The pair.
    public var key: BeaconKey
    /// How the beats were observed.
    public var kind: Kind
    /// Beats after retries were collapsed (connections, or bursts for intra-flow).
    public var connections: Int
    /// Connections seen in total (above the cap for strobes).
    public var connectionsTotal: UInt64
    /// The periodicity test's outcome: period, jitter, miss rate and evidence.
    public var periodicity: Periodicity.Result
    /// RITA v5's score of the same beats, `nil` where RITA would skip the pair.
    public var rita: RITAScore?
    /// The final 0–1 score.
    public var score: Double
    /// First packet, ns.
    public var firstSeen: Int64
    /// Last packet, ns.
    public var lastSeen: Int64
    /// Initiator bytes.
    public var bytesOut: UInt64
    /// Responder bytes.
    public var bytesIn: UInt64
    /// Whether the connection cap was reached.
    public var isStrobe: Bool
    /// Whether the destination is outside the monitored network.
    public var isExternal: Bool
    /// The source's zone, if any.
    public var zone: String?
    /// Whether the source zone is medical.
    public var isMedicalZone: Bool
    /// Share of all sources that talk to this destination.
    public var prevalence: Double
    /// Whether the destination is on the beacon allow-list (demoted, not hidden).
    public var allowlisted: Bool
    /// DNS names of the destination seen in the capture.
    public var dnsNames: [String]
    /// The triage severity.
    public var severity: Severity
}
