/// Settings of beacon detection.
public struct BeaconConfiguration: Sendable, Hashable {
    /// Pairs with fewer connection starts (after retries are collapsed) are not reported.
    public var minimumConnections: Int = 6
    /// Connections kept per pair; beyond this the pair is reported as a strobe (RITA's 86 400).
    public var connectionCap: Int = 86_400
    /// A failed attempt and its retry closer than this (ns) are one beat.
    public var retryWindow: Int64 = 1_000_000_000
    /// The periodicity test's settings.
    public var periodicity = Periodicity.Configuration()
    /// RITA's analysis window: only the last this-many ns of the data feed the RITA component.
    public var ritaWindow: Int64 = 86_400 * 1_000_000_000
    /// RITA-parity-only scoring, for comparison with RITA: when set, the periodicity test does not decide,
    /// and a pair is reported when RITA v5's score reaches this value (its `period_s` is then the median
    /// interval). `nil` (the default) reports what the periodicity test finds.
    public var ritaOnlyThreshold: Double?
    /// A destination contacted by at most this share of all sources is rare (RITA's prevalence bonus).
    public var rarePrevalence: Double = 0.02
    /// A destination contacted by at least this share of all sources is common (RITA's malus).
    public var commonPrevalence: Double = 0.5

    /// Creates the default configuration.
    public init() {}
}
