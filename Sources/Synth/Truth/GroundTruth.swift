public import Foundation

/// The ground truth `medflow synth` writes beside a capture (`NAME.truth.json`).
///
/// Keys follow the project's contract: beacons, egress and uploads are keyed by
/// (src, dst, dport, proto), fan-out by (src, dport, proto); the initiator is `src`.
public struct GroundTruth: Codable, Sendable, Equatable {
    /// A planted beacon or a benign periodic pair.
    public struct Beacon: Codable, Sendable, Equatable {
        /// The initiator's address.
        public var src: String
        /// The responder's address.
        public var dst: String
        /// The destination (service) port.
        public var dport: Int
        /// The transport protocol name (`tcp`, `udp`).
        public var proto: String
        /// `flow` (one connection per check-in) or `intra-flow` (bursts inside one long session).
        public var kind: String
        /// Whether the pair was planted (C2) rather than normal periodic traffic.
        public var malicious: Bool
        /// The nominal period (the implant's sleep).
        public var periodS: Double
        /// The expected interval between check-ins: the period, or period × (1 + jitter/2) when one-sided.
        public var meanIntervalS: Double
        /// Relative jitter (0.5: ±50 % uniform, or up to +50 % one-sided).
        public var jitter: Double
        /// `none`, `uniform` or `one-sided`.
        public var jitterKind: String
        /// Share of check-ins skipped.
        public var missRate: Double
        /// Connection starts (or bursts) actually written.
        public var connections: Int
        /// The pair's first packet, RFC 3339 UTC.
        public var firstSeen: String
        /// The pair's last packet, RFC 3339 UTC.
        public var lastSeen: String
        /// A short name of what was planted or simulated.
        public var label: String

        enum CodingKeys: String, CodingKey {
            case src, dst, dport, proto, kind, malicious, jitter, connections, label
            case periodS = "period_s", meanIntervalS = "mean_interval_s", jitterKind = "jitter_kind"
            case missRate = "miss_rate", firstSeen = "first_seen", lastSeen = "last_seen"
        }
    }

    /// A (src, dst, dport, proto) the policy does not allow.
    public struct Egress: Codable, Sendable, Equatable {
        /// The initiator's address.
        public var src: String
        /// The source zone (the destination's for `inbound-from-external`).
        public var zone: String
        /// The responder's address.
        public var dst: String
        /// The destination (service) port.
        public var dport: Int
        /// The transport protocol name (`tcp`, `udp`).
        public var proto: String
        /// `external-not-allowed`, `internal-not-allowed` or `inbound-from-external`.
        public var reason: String
        /// A short name of what was planted or simulated.
        public var label: String
    }

    /// A host touching many internal peers on one service port.
    public struct FanOut: Codable, Sendable, Equatable {
        /// The initiator's address.
        public var src: String
        /// The destination (service) port.
        public var dport: Int
        /// The transport protocol name (`tcp`, `udp`).
        public var proto: String
        /// Distinct internal peers contacted.
        public var peers: Int
        /// Seconds from the first to the last connection start.
        public var windowS: Double
        /// The source zone, if it has one.
        public var zone: String?
        /// A short name of what was planted or simulated.
        public var label: String

        enum CodingKeys: String, CodingKey {
            case src, dport, proto, peers, zone, label
            case windowS = "window_s"
        }
    }

    /// A large one-off transfer out of the hospital.
    public struct Upload: Codable, Sendable, Equatable {
        /// The initiator's address.
        public var src: String
        /// The responder's address.
        public var dst: String
        /// The destination (service) port.
        public var dport: Int
        /// The transport protocol name (`tcp`, `udp`).
        public var proto: String
        /// Frame bytes on the wire from the initiator (what a flow's `bytes_out` counts).
        public var bytesOut: UInt64
        /// A short name of what was planted or simulated.
        public var label: String

        enum CodingKeys: String, CodingKey {
            case src, dst, dport, proto, label
            case bytesOut = "bytes_out"
        }
    }

    /// The policy's zone names.
    public struct PolicySummary: Codable, Sendable, Equatable {
        /// Every zone of the policy.
        public var zones: [String]
        /// The zones marked `medical: true`.
        public var medicalZones: [String]

        enum CodingKeys: String, CodingKey {
            case zones
            case medicalZones = "medical_zones"
        }
    }

    /// `hospital` or `bulk`.
    public var scenario: String
    /// The seed the capture was generated with.
    public var seed: UInt64
    /// Capture length in hours.
    public var hours: Double
    /// Capture start, RFC 3339 UTC.
    public var start: String
    /// Capture end (hospital) or last packet time (bulk), RFC 3339 UTC.
    public var end: String
    /// The capture file name (the first part when rotated).
    public var capture: String
    /// Every capture file name, in order (one unless rotated).
    public var captures: [String]
    /// The policy file name beside the capture (hospital only).
    public var policy: String?
    /// Packets written.
    public var packets: UInt64
    /// Frame bytes on the wire of all packets.
    public var wireBytes: UInt64
    /// Planted beacons.
    public var beacons: [Beacon]
    /// Normal periodic pairs (heartbeats, NTP, streams).
    public var benignPeriodic: [Beacon]
    /// Pairs the policy forbids.
    public var egress: [Egress]
    /// Planted fan-out sweeps.
    public var fanout: [FanOut]
    /// Planted large uploads.
    public var uploads: [Upload]
    /// The policy's zones (hospital only).
    public var policySummary: PolicySummary?

    enum CodingKeys: String, CodingKey {
        case scenario, seed, hours, start, end, capture, captures, policy, packets, beacons, egress, fanout, uploads
        case wireBytes = "wire_bytes", benignPeriodic = "benign_periodic", policySummary = "policy_summary"
    }

    /// The truth as pretty-printed JSON with sorted keys (byte-identical for the same seed).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a truth file.
    public static func read(path: String) throws -> GroundTruth {
        try JSONDecoder().decode(GroundTruth.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
