/// IP protocol numbers the stages treat specially, and the names the output files use.
public enum TransportProtocol {
    /// ICMP (IPv4), protocol 1.
    public static let icmp: UInt8 = 1
    /// TCP, protocol 6.
    public static let tcp: UInt8 = 6
    /// UDP, protocol 17.
    public static let udp: UInt8 = 17
    /// ICMPv6, protocol 58.
    public static let icmpv6: UInt8 = 58
    /// SCTP, protocol 132 (ports are read like TCP/UDP).
    public static let sctp: UInt8 = 132

    /// The name written to output files: `tcp`, `udp`, `icmp`, `icmpv6`, `sctp`, else the number in decimal.
    ///
    /// - Parameter number: The IP protocol number.
    public static func name(_ number: UInt8) -> String {
        switch number {
        case tcp: "tcp"
        case udp: "udp"
        case icmp: "icmp"
        case icmpv6: "icmpv6"
        case sctp: "sctp"
        default: String(number)
        }
    }

    /// The protocol number for a name ``name(_:)`` writes, or a decimal number; `nil` for anything else.
    ///
    /// - Parameter name: The protocol's name or number.
    public static func number(named name: String) -> UInt8? {
        switch name.lowercased() {
        case "tcp": tcp
        case "udp": udp
        case "icmp": icmp
        case "icmpv6", "ipv6-icmp": icmpv6
        case "sctp": sctp
        default: UInt8(name)
        }
    }
}

/// TCP header flag bits, as in the TCP header's flags byte.
public enum TCPFlags {
    /// FIN: the sender has finished sending.
    public static let fin: UInt8 = 0x01
    /// SYN: synchronise sequence numbers (connection start).
    public static let syn: UInt8 = 0x02
    /// RST: reset the connection.
    public static let rst: UInt8 = 0x04
    /// PSH: push.
    public static let psh: UInt8 = 0x08
    /// ACK: the acknowledgement field is significant.
    public static let ack: UInt8 = 0x10
    /// URG: the urgent pointer is significant.
    public static let urg: UInt8 = 0x20
    /// ECE: ECN echo.
    public static let ece: UInt8 = 0x40
    /// CWR: congestion window reduced.
    public static let cwr: UInt8 = 0x80
}
