/// One bidirectional flow: the initiator is `src`, the responder `dst`.
///
/// For flows built from packets the initiator is the sender of the TCP SYN (without ACK), else the sender
/// of the first packet seen. Byte counts are frame bytes on the wire; flows read from flow exports carry
/// the exporter's octets.
public struct FlowRecord: Hashable, Sendable {
    /// Bits of ``FlowRecord/flags``.
    public struct Flags: OptionSet, Sendable, Hashable {
        public var rawValue: UInt8
        @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// A flow of non-IP frames: addresses are MACs, ``FlowRecord/srcPort`` is the EtherType.
        @inlinable public static var link: Flags { Flags(rawValue: 0x01) }
        /// A later piece of a long flow cut by the active timeout: not a new connection.
        @inlinable public static var continuation: Flags { Flags(rawValue: 0x02) }
    }

    /// Why a flow ended.
    public enum EndReason: UInt8, Sendable, Hashable, CaseIterable {
        /// No packet for the idle timeout.
        case idle = 0
        /// Cut by the active timeout; a continuation follows if packets keep coming.
        case active = 1
        /// TCP FIN seen from both sides.
        case fin = 2
        /// TCP RST seen.
        case rst = 3
        /// Still open when the input ended.
        case endOfInput = 4
        /// Evicted to keep the flow table within its capacity.
        case evicted = 5

        /// The name written to output files.
        public var name: String {
            switch self {
            case .idle: "idle"
            case .active: "active"
            case .fin: "fin"
            case .rst: "rst"
            case .endOfInput: "eof"
            case .evicted: "evicted"
            }
        }
    }

    /// Initiator address.
    public var src: IPAddress
    /// Responder address.
    public var dst: IPAddress
    /// Initiator port; for ICMP 0; for link flows the EtherType.
    public var srcPort: UInt16
    /// Responder port; for ICMP the query's `type << 8 | code`; for link flows 0.
    public var dstPort: UInt16
    /// IP protocol number (0 for link flows).
    public var proto: UInt8
    /// ``Flags`` of the flow.
    public var flags: Flags
    /// Time of the first packet, ns since the epoch.
    public var firstSeen: Int64
    /// Time of the last packet, ns since the epoch.
    public var lastSeen: Int64
    /// Packets sent by the initiator.
    public var packetsOut: UInt64
    /// Bytes sent by the initiator.
    public var bytesOut: UInt64
    /// Packets sent by the responder.
    public var packetsIn: UInt64
    /// Bytes sent by the responder.
    public var bytesIn: UInt64
    /// TCP flags seen from the initiator (OR of all segments).
    public var tcpFlagsOut: UInt8
    /// TCP flags seen from the responder.
    public var tcpFlagsIn: UInt8
    /// Why the flow ended.
    public var endReason: EndReason

    /// Creates a flow record.
    public init(
        src: IPAddress, dst: IPAddress, srcPort: UInt16, dstPort: UInt16, proto: UInt8, flags: Flags = [],
        firstSeen: Int64, lastSeen: Int64, packetsOut: UInt64, bytesOut: UInt64,
        packetsIn: UInt64 = 0, bytesIn: UInt64 = 0, tcpFlagsOut: UInt8 = 0, tcpFlagsIn: UInt8 = 0,
        endReason: EndReason = .endOfInput
    ) {
        self.src = src
        self.dst = dst
        self.srcPort = srcPort
        self.dstPort = dstPort
        self.proto = proto
        self.flags = flags
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.packetsOut = packetsOut
        self.bytesOut = bytesOut
        self.packetsIn = packetsIn
        self.bytesIn = bytesIn
        self.tcpFlagsOut = tcpFlagsOut
        self.tcpFlagsIn = tcpFlagsIn
        self.endReason = endReason
    }

    /// Whether this is a continuation piece of a longer flow.
    @inlinable
    public var isContinuation: Bool { flags.contains(.continuation) }

    /// Packets in both directions.
    @inlinable
    public var packets: UInt64 { packetsOut &+ packetsIn }

    /// Bytes in both directions.
    @inlinable
    public var bytes: UInt64 { bytesOut &+ bytesIn }
}
