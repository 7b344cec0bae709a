public import FlowModel

/// A connection key: initiator, responder, responder port, protocol — how egress, beacon and upload
/// findings are joined.
public struct ConnectionKey: Hashable, Sendable {
    /// The initiator.
    public var src: IPAddress
    /// The responder.
    public var dst: IPAddress
    /// The responder port (ICMP: `type << 8 | code`).
    public var dport: UInt16
    /// The IP protocol number.
    public var proto: UInt8

    /// Feeds one pre-mixed word to `hasher` instead of the six fields one by one: the egress detector's
    /// aggregates are keyed by connection, and each lookup and each rehash of the dictionary hashed all six.
    public func hash(into hasher: inout Hasher) {
        let addresses = (src.low &* 0x9E37_79B9_7F4A_7C15) ^ (dst.low &* 0xC2B2_AE3D_27D4_EB4F)
            ^ (src.high &* 0x1656_67B1_9E37_79F9) ^ (dst.high &* 0xD6E8_FEB8_6659_FD93)
        hasher.combine(mix64(addresses &+ (UInt64(dport) << 8 | UInt64(proto)) &* 0xFF51_AFD7_ED55_8CCD))
    }

    /// Which of `shares` shares the connection falls in (``EgressDetector/consume(_:share:of:)``).
    @inline(__always)
    static func share(src: IPAddress, dst: IPAddress, dport: UInt16, proto: UInt8, of shares: UInt64) -> UInt64 {
        let h = mix64((src.low &* 0x9E37_79B9_7F4A_7C15) ^ (dst.low &* 0xC2B2_AE3D_27D4_EB4F) ^ src.high ^ dst.high
                      ^ (UInt64(dport) << 8 | UInt64(proto)))
        return ((h >> 32) &* shares) >> 32
    }

    /// Creates a key.
    public init(src: IPAddress, dst: IPAddress, dport: UInt16, proto: UInt8) {
        self.src = src
        self.dst = dst
        self.dport = dport
        self.proto = proto
    }
}

/// Why a connection is an egress finding.
public enum EgressReason: String, Sendable, Hashable, CaseIterable {
    /// From a medical zone to an external address no allow rule of the zone covers.
    case externalNotAllowed = "external-not-allowed"
    /// From a medical zone to an internal address outside the zone that no allow rule covers.
    case internalNotAllowed = "internal-not-allowed"
    /// Started from outside the internal networks into a medical zone.
    case inboundFromExternal = "inbound-from-external"
}

/// How urgently an analyst should look at a finding, lowest first.
public enum Severity: Int, Sendable, Hashable, Comparable, CaseIterable {
    /// Worth a look when time allows.
    case low = 0
    /// Review.
    case medium = 1
    /// Review today.
    case high = 2
    /// Look first.
    case critical = 3

    /// The name written to output files.
    public var name: String {
        switch self {
        case .low: "low"
        case .medium: "medium"
        case .high: "high"
        case .critical: "critical"
        }
    }

    /// Orders by urgency.
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One line of `egress.ndjson`: every flow of one (src, dst, dport, proto) that breaks the policy.
public struct EgressFinding: Sendable, Hashable {
    /// The connection; for ``EgressReason/inboundFromExternal`` the src is the external initiator.
    public var key: ConnectionKey
    /// The medical zone: the initiator's, or for inbound findings the responder's.
    public var zone: String
    /// Why it is a finding.
    public var reason: EgressReason
    /// Connections (flows that are not continuations of a longer flow).
    public var flows: UInt64
    /// Bytes sent by the initiator.
    public var bytesOut: UInt64
    /// Bytes sent by the responder.
    public var bytesIn: UInt64
    /// First packet, ns since the epoch.
    public var firstSeen: Int64
    /// Last packet, ns since the epoch.
    public var lastSeen: Int64
    /// The name the initiator looked the responder up as, when the capture's DNS answers show it.
    public var dnsName: String?
    /// Whether the traffic is a large upload (bytes out over the threshold and dominating bytes in).
    public var upload: Bool
    /// Whether the same key is a beacon finding.
    public var beacon: Bool
    /// How urgent the finding is.
    public var severity: Severity
}

/// Service ports whose appearance in an egress finding raises its severity: lateral-movement and
/// remote-access ports of legacy devices (SMB, RPC, RDP, VNC, telnet, WinRM, TeamViewer) and medical
/// protocols that must not leave their network (DICOM, HL7, NFS).
public enum SensitivePorts {
    /// Lateral movement and remote access.
    public static let legacy: Set<UInt16> = [135, 139, 445, 3389, 5900, 23, 5985, 5986, 5938, 21]
    /// Medical and storage protocols.
    public static let medical: Set<UInt16> = [104, 11112, 2762, 2575, 2049, 111, 4242]
}
