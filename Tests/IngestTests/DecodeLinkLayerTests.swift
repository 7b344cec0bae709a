import FlowModel
import Ingest
import Testing

/// Shorthands for the frames below.
private typealias F = FrameBuilder

private let v4A = IPAddress(v4: F.v4A)
private let v4B = IPAddress(v4: F.v4B)

extension DecodeCase {
    /// One frame per link type and per Ethernet path (VLAN, QinQ, MPLS, PPPoE), IPv4 and IPv6, plus
    /// the non-IP frames that become link rows.
    static let linkLayerCases: [DecodeCase] = [
        // Ethernet
        .ip("Ethernet IPv4 TCP", F.ethernet(type: 0x0800, F.ipv4(proto: 6, F.tcp())),
            src: v4A, dst: v4B, ports: (49152, 443), proto: 6, tcpFlags: TCPFlags.syn, headers: 14 + 20 + 14),
        .ip("Ethernet IPv6 UDP", F.ethernet(type: 0x86DD, F.ipv6(next: 17, F.udp([1, 2, 3]))),
            src: F.v6A, dst: F.v6B, ports: (53000, 53), proto: 17, headers: 14 + 40 + 4),
        .ip("802.1Q IPv4 UDP", F.ethernet(type: 0x8100, F.vlan(id: 10, type: 0x0800, F.ipv4(proto: 17, F.udp()))),
            src: v4A, dst: v4B, ports: (53000, 53), proto: 17, headers: 14 + 4 + 20 + 4),
        .ip("802.1ad + 802.1Q IPv6 TCP",
            F.ethernet(type: 0x88A8, F.vlan(id: 100, type: 0x8100, F.vlan(id: 10, priority: 5, type: 0x86DD,
                F.ipv6(next: 6, F.tcp(flags: TCPFlags.syn | TCPFlags.ack))))),
            src: F.v6A, dst: F.v6B, ports: (49152, 443), proto: 6, tcpFlags: 0x12, headers: 14 + 8 + 40 + 14),
        .ip("0x9100 + 0x9200 + 802.1Q IPv4 UDP",
            F.ethernet(type: 0x9100, F.vlan(id: 1, type: 0x9200, F.vlan(id: 2, type: 0x8100,
                F.vlan(id: 3, type: 0x0800, F.ipv4(proto: 17, F.udp()))))),
            src: v4A, dst: v4B, ports: (53000, 53), proto: 17, headers: 14 + 12 + 20 + 4),
        .ip("MPLS two labels IPv4 UDP",
            F.ethernet(type: 0x8847, F.mpls(labels: [100, 200], F.ipv4(proto: 17, F.udp()))),
            src: v4A, dst: v4B, ports: (53000, 53), proto: 17, headers: 14 + 8 + 20 + 4),
        .ip("MPLS multicast IPv6 TCP", F.ethernet(type: 0x8848, F.mpls(labels: [16], F.ipv6(next: 6, F.tcp()))),
            src: F.v6A, dst: F.v6B, ports: (49152, 443), proto: 6, tcpFlags: TCPFlags.syn, headers: 14 + 4 + 40 + 14),
        .ip("802.1Q MPLS IPv4 ICMP",
            F.ethernet(type: 0x8100, F.vlan(id: 5, type: 0x8847,
                F.mpls(labels: [7], F.ipv4(proto: 1, F.icmp(type: 8))))),
            src: v4A, dst: v4B, ports: (0x0800, 0x0800), proto: 1, headers: 14 + 4 + 4 + 20 + 2),
        .link("MPLS pseudowire (control word) is a link row",
            F.ethernet(type: 0x8847, F.mpls(labels: [300], [0, 0, 0, 1] + F.ethernet(type: 0x0806, F.arp()))),
            src: F.macA, dst: F.macB, etherType: 0x8847, headers: 14 + 4 + 1),
        .ip("PPPoE IPv4 TCP", F.ethernet(type: 0x8864, F.pppoe(protocol: 0x0021, F.ipv4(proto: 6, F.tcp()))),
            src: v4A, dst: v4B, ports: (49152, 443), proto: 6, tcpFlags: TCPFlags.syn, headers: 14 + 8 + 20 + 14),
        .ip("PPPoE IPv6 UDP", F.ethernet(type: 0x8864, F.pppoe(protocol: 0x0057, F.ipv6(next: 17, F.udp()))),
            src: F.v6A, dst: F.v6B, ports: (53000, 53), proto: 17, headers: 14 + 8 + 40 + 4),
        .link("PPPoE LCP is a link row", F.ethernet(type: 0x8864, F.pppoe(protocol: 0xC021, [1, 1, 0, 4])),
              src: F.macA, dst: F.macB, etherType: 0x8864, headers: 14 + 8),
        .link("ARP", F.ethernet(dst: 0xFFFF_FFFF_FFFF, type: 0x0806, F.arp()),
              src: F.macA, dst: 0xFFFF_FFFF_FFFF, etherType: 0x0806, headers: 14),
        .link("802.1Q ARP", F.ethernet(type: 0x8100, F.vlan(id: 7, type: 0x0806, F.arp())),
              src: F.macA, dst: F.macB, etherType: 0x0806, headers: 14 + 4),
        .link("EAPOL", F.ethernet(dst: 0x0180_C200_0003, type: 0x888E, [2, 3, 0, 0x5F]),
              src: F.macA, dst: 0x0180_C200_0003, etherType: 0x888E, headers: 14),
        .link("LLDP", F.ethernet(dst: 0x0180_C200_000E, type: 0x88CC, [0x02, 0x07, 0x04]),
              src: F.macA, dst: 0x0180_C200_000E, etherType: 0x88CC, headers: 14),
        .link("802.3 LLC (length field) has EtherType 0",
              F.ethernet(dst: 0x0180_C200_0000, type: 38, [0x42, 0x42, 0x03] + Array(repeating: 0, count: 35)),
              src: F.macA, dst: 0x0180_C200_0000, etherType: 0, headers: 14),

        // Linux cooked v1
        .ip("SLL IPv4 UDP", .linuxSLL, F.sll(protocol: 0x0800, F.ipv4(proto: 17, F.udp())),
            src: v4A, dst: v4B, ports: (53000, 53), proto: 17, headers: 16 + 20 + 4),
        .ip("SLL IPv6 TCP", .linuxSLL, F.sll(protocol: 0x86DD, F.ipv6(next: 6, F.tcp(flags: TCPFlags.fin))),
            src: F.v6A, dst: F.v6B, ports: (49152, 443), proto: 6, tcpFlags: TCPFlags.fin, headers: 16 + 40 + 14),
        .ip("SLL 802.1Q IPv4 UDP", .linuxSLL,
            F.sll(protocol: 0x8100, F.vlan(id: 9, type: 0x0800, F.ipv4(proto: 17, F.udp()))),
            src: v4A, dst: v4B, ports: (53000, 53), proto: 17, headers: 16 + 4 + 20 + 4),
        .link("SLL ARP has the sender's MAC", .linuxSLL, F.sll(protocol: 0x0806, F.arp()),
              src: F.macA, dst: 0, etherType: 0x0806, headers: 16),
        .link("SLL non-MAC address is 0", .linuxSLL, F.sll(protocol: 0x0806, addressLength: 4, F.arp()),
              src: 0, dst: 0, etherType: 0x0806, headers: 16),
        .link("SLL LLC protocol value is EtherType 0", .linuxSLL, F.sll(protocol: 0x0004, [0x42, 0x42, 0x03]),
              src: F.macA, dst: 0, etherType: 0, headers: 16),

        // Linux cooked v2
        .ip("SLL2 IPv4 ICMP echo", .linuxSLL2, F.sll2(protocol: 0x0800, F.ipv4(proto: 1, F.icmp(type: 8))),
            src: v4A, dst: v4B, ports: (0x0800, 0x0800), proto: 1, headers: 20 + 20 + 2),
        .ip("SLL2 IPv6 ICMPv6 echo reply", .linuxSLL2, F.sll2(protocol: 0x86DD, F.ipv6(next: 58, F.icmp(type: 129))),
            src: F.v6A, dst: F.v6B, ports: (0x8000, 0x8000), proto: 58, headers: 20 + 40 + 2),
        .link("SLL2 ARP has the sender's MAC", .linuxSLL2, F.sll2(protocol: 0x0806, F.arp()),
              src: F.macA, dst: 0, etherType: 0x0806, headers: 20),
        .link("SLL2 EAPOL without address", .linuxSLL2, F.sll2(protocol: 0x888E, addressLength: 0, [2, 0, 0, 0]),
              src: 0, dst: 0, etherType: 0x888E, headers: 20),

        // Raw IP
        .ip("RAW (101) IPv4 TCP", .raw, F.ipv4(proto: 6, F.tcp(flags: TCPFlags.rst)),
            src: v4A, dst: v4B, ports: (49152, 443), proto: 6, tcpFlags: TCPFlags.rst, headers: 20 + 14),
        .ip("RAW (101) IPv6 UDP", .raw, F.ipv6(next: 17, F.udp()),
            src: F.v6A, dst: F.v6B, ports: (53000, 53), proto: 17, headers: 40 + 4),
        .ip("RAW (DLT 12) IPv4 UDP", .rawDLT12, F.ipv4(proto: 17, F.udp()),
            src: v4A, dst: v4B, ports: (53000, 53), proto: 17, headers: 20 + 4),
        .ip("RAW (DLT 14) IPv6 TCP", .rawDLT14, F.ipv6(next: 6, F.tcp()),
            src: F.v6A, dst: F.v6B, ports: (49152, 443), proto: 6, tcpFlags: TCPFlags.syn, headers: 40 + 14),
        .ip("IPV4 (228) UDP", .ipv4, F.ipv4(proto: 17, F.udp()),
            src: v4A, dst: v4B, ports: (53000, 53), proto: 17, headers: 20 + 4),
        .ip("IPV6 (229) ICMPv6", .ipv6, F.ipv6(next: 58, F.icmp(type: 128)),
            src: F.v6A, dst: F.v6B, ports: (0x8000, 0x8000), proto: 58, headers: 40 + 2),

        // Loopback
        .ip("NULL little-endian AF 2 IPv4", .null, F.null(family: 2, F.ipv4(proto: 17, F.udp())),
            src: v4A, dst: v4B, ports: (53000, 53), proto: 17, headers: 4 + 20 + 4),
        .ip("NULL big-endian AF 2 IPv4", .null, F.null(family: 2, littleEndian: false, F.ipv4(proto: 17, F.udp())),
            src: v4A, dst: v4B, ports: (53000, 53), proto: 17, headers: 4 + 20 + 4),
        .ip("NULL AF 30 (Darwin) IPv6", .null, F.null(family: 30, F.ipv6(next: 6, F.tcp())),
            src: F.v6A, dst: F.v6B, ports: (49152, 443), proto: 6, tcpFlags: TCPFlags.syn, headers: 4 + 40 + 14),
        .ip("NULL big-endian AF 24 (OpenBSD) IPv6", .null,
            F.null(family: 24, littleEndian: false, F.ipv6(next: 17, F.udp())),
            src: F.v6A, dst: F.v6B, ports: (53000, 53), proto: 17, headers: 4 + 40 + 4),
        .ip("NULL AF 28 (FreeBSD) IPv6", .null, F.null(family: 28, F.ipv6(next: 17, F.udp())),
            src: F.v6A, dst: F.v6B, ports: (53000, 53), proto: 17, headers: 4 + 40 + 4),
        .ip("NULL AF 10 (Linux) IPv6", .null, F.null(family: 10, F.ipv6(next: 17, F.udp())),
            src: F.v6A, dst: F.v6B, ports: (53000, 53), proto: 17, headers: 4 + 40 + 4),
        .link("NULL unknown family is a link row", .null, F.null(family: 7, [1, 2, 3, 4]),
              src: 0, dst: 0, etherType: 0, headers: 4),
        .ip("LOOP AF 2 IPv4", .loop, F.loop(family: 2, F.ipv4(proto: 6, F.tcp())),
            src: v4A, dst: v4B, ports: (49152, 443), proto: 6, tcpFlags: TCPFlags.syn, headers: 4 + 20 + 14),
        .ip("LOOP AF 24 IPv6", .loop, F.loop(family: 24, F.ipv6(next: 17, F.udp())),
            src: F.v6A, dst: F.v6B, ports: (53000, 53), proto: 17, headers: 4 + 40 + 4),
        .link("LOOP little-endian family is not read as IPv4", .loop, F.null(family: 2, F.ipv4(proto: 17, F.udp())),
              src: 0, dst: 0, etherType: 0, headers: 4),
    ]
}

/// Link layers: every case of ``DecodeCase/linkLayerCases`` decodes whole to its row.
@Suite struct DecodeLinkLayerTests {
    @Test(arguments: DecodeCase.linkLayerCases)
    func wholeFrameDecodes(_ testCase: DecodeCase) {
        let (batch, counters) = FrameBuilder.decode(testCase.frame, linkType: testCase.linkType)
        #expect(batch.count == 1)
        guard batch.count == 1 else { return }
        #expect(batch[0] == testCase.expected)
        #expect(counters.frames == 1 && counters.skipped == 0)
        #expect(counters.appended == 1)
    }

    /// Eight VLAN tags are read; a ninth makes the frame malformed.
    @Test(arguments: [(8, false), (9, true)])
    func vlanStackIsBounded(tags: Int, malformed: Bool) {
        var payload = F.ipv4(proto: 17, F.udp())
        var type: UInt16 = 0x0800
        for id in 0..<tags {
            payload = F.vlan(id: UInt16(id), type: type, payload)
            type = 0x8100
        }
        let (batch, counters) = FrameBuilder.decode(F.ethernet(type: type, payload), linkType: .ethernet)
        #expect(counters.malformed == (malformed ? 1 : 0))
        #expect(batch.count == (malformed ? 0 : 1))
    }

    /// Sixteen MPLS label entries are read; a seventeenth makes the frame malformed.
    @Test(arguments: [(16, false), (17, true)])
    func mplsStackIsBounded(labels: Int, malformed: Bool) {
        let frame = F.ethernet(type: 0x8847, F.mpls(labels: Array(1...UInt32(labels)), F.ipv4(proto: 17, F.udp())))
        let (batch, counters) = FrameBuilder.decode(frame, linkType: .ethernet)
        #expect(counters.malformed == (malformed ? 1 : 0))
        #expect(batch.count == (malformed ? 0 : 1))
    }

    /// Raw IP with a version other than 4 or 6 is malformed.
    @Test(arguments: [LinkType.raw, .rawDLT12, .rawDLT14])
    func rawUnknownVersionIsMalformed(_ linkType: LinkType) {
        let (batch, counters) = FrameBuilder.decode(F.ipv4(proto: 17, version: 5, F.udp()), linkType: linkType)
        #expect(batch.isEmpty)
        #expect(counters.malformed == 1)
    }

    /// A link type outside ``LinkType/supported`` makes every frame malformed rather than trapping.
    @Test func unsupportedLinkTypeIsMalformed() {
        let (batch, counters) = FrameBuilder.decode(
            F.ethernet(type: 0x0800, F.ipv4(proto: 6, F.tcp())), linkType: LinkType(rawValue: 105))
        #expect(batch.isEmpty)
        #expect(counters.malformed == 1 && counters.skippedBytes == counters.wireBytes)
    }
}
