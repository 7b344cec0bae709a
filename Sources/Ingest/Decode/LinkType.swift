/// A capture's link-layer header type: the LINKTYPE value of a pcap/pcapng file, or the DLT value
/// libpcap reports for it.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    public static let null = LinkType(rawValue: 0)
    /// Ethernet II / 802.3, 14-byte header.
    public static let ethernet = LinkType(rawValue: 1)
    /// Raw IP as libpcap reports LINKTYPE_RAW on Linux (DLT_RAW = 12).
    public static let rawDLT12 = LinkType(rawValue: 12)
    /// Raw IP as some BSDs report it (DLT_RAW = 14).
    public static let rawDLT14 = LinkType(rawValue: 14)
    /// Raw IP, version from the first nibble (LINKTYPE_RAW).
    public static let raw = LinkType(rawValue: 101)
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    public static let loop = LinkType(rawValue: 108)
    /// Linux "cooked" capture v1, 16-byte header.
    public static let linuxSLL = LinkType(rawValue: 113)
    /// Raw IPv4 only.
    public static let ipv4 = LinkType(rawValue: 228)
    /// Raw IPv6 only.
    public static let ipv6 = LinkType(rawValue: 229)
    /// Linux "cooked" capture v2, 20-byte header.
    public static let linuxSLL2 = LinkType(rawValue: 276)

    /// The link types the decoder reads.
    public static let supported: Set<LinkType> = [
        .null, .ethernet, .rawDLT12, .rawDLT14, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2,
    ]

    /// The usual name, e.g. `EN10MB`, or the number.
    public var description: String {
        switch self {
        case .null: "NULL"
        case .ethernet: "EN10MB"
        case .rawDLT12, .rawDLT14, .raw: "RAW"
        case .loop: "LOOP"
        case .linuxSLL: "LINUX_SLL"
        case .ipv4: "IPV4"
        case .ipv6: "IPV6"
        case .linuxSLL2: "LINUX_SLL2"
        default: "\(rawValue)"
        }
    }
}
