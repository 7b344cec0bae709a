import FlowModel
import Ingest
import Testing

/// Shorthands for the frames below.
private typealias F = FrameBuilder

private let v4A = IPAddress(v4: F.v4A)
private let v4B = IPAddress(v4: F.v4B)

/// An Ethernet frame carrying an IPv4 packet.
private func eth4(
    proto: UInt8, id: UInt16 = 0x1234, fragment: UInt16 = 0x4000, options: [UInt8] = [], _ payload: [UInt8]
) -> [UInt8] {
    F.ethernet(type: 0x0800, F.ipv4(proto: proto, id: id, fragment: fragment, options: options, payload))
}

/// An Ethernet frame carrying an IPv6 packet.
private func eth6(next: UInt8, _ payload: [UInt8]) -> [UInt8] {
    F.ethernet(type: 0x86DD, F.ipv6(next: next, payload))
}

/// Bytes that are not a header (the rest of a fragmented datagram, encrypted data).
private let junk: [UInt8] = Array(0..<24)

extension DecodeCase {
    /// IPv4 options, IPv6 extension headers, fragments and each transport protocol, over Ethernet.
    static let networkCases: [DecodeCase] = [
        // IPv4 options
        .ip("IPv4 with 4 bytes of options, TCP", eth4(proto: 6, options: [1, 1, 1, 0], F.tcp(flags: 0x18)),
            src: v4A, dst: v4B, ports: (49152, 443), proto: 6, tcpFlags: 0x18, headers: 14 + 24 + 14),
        .ip("IPv4 with 40 bytes of options (IHL 15), UDP",
            eth4(proto: 17, options: [0x44, 40, 5, 0] + Array(repeating: 0, count: 36), F.udp()),
            src: v4A, dst: v4B, ports: (53000, 53), proto: 17, headers: 14 + 60 + 4),

        // Transport protocols
        .ip("TCP FIN+ACK", eth4(proto: 6, F.tcp(src: 443, dst: 49152, flags: 0x11)),
            src: v4A, dst: v4B, ports: (443, 49152), proto: 6, tcpFlags: 0x11, headers: 14 + 20 + 14),
        .ip("TCP SYN+ECE+CWR", eth4(proto: 6, F.tcp(flags: 0xC2, [0x16, 0x03])),
            src: v4A, dst: v4B, ports: (49152, 443), proto: 6, tcpFlags: 0xC2, headers: 14 + 20 + 14),
        .ip("SCTP", eth4(proto: 132, F.sctp()),
            src: v4A, dst: v4B, ports: (5000, 36412), proto: 132, headers: 14 + 20 + 4),
        .ip("UDP-Lite", eth6(next: 136, F.udp(src: 1111, dst: 2222)),
            src: F.v6A, dst: F.v6B, ports: (1111, 2222), proto: 136, headers: 14 + 40 + 4),
        .ip("DCCP", eth4(proto: 33, F.dccp()),
            src: v4A, dst: v4B, ports: (6000, 5001), proto: 33, headers: 14 + 20 + 4),
        .ip("GRE has no ports", eth4(proto: 47, F.gre(F.ipv4(proto: 17, F.udp()))),
            src: v4A, dst: v4B, proto: 47, headers: 14 + 20),
        .ip("GRE over IPv6 has no ports", eth6(next: 47, F.gre(type: 0x86DD)),
            src: F.v6A, dst: F.v6B, proto: 47, headers: 14 + 40),
        .ip("ESP over IPv4 has no ports", eth4(proto: 50, junk),
            src: v4A, dst: v4B, proto: 50, headers: 14 + 20),
        .ip("ICMP echo request", eth4(proto: 1, F.icmp(type: 8)),
            src: v4A, dst: v4B, ports: (0x0800, 0x0800), proto: 1, headers: 14 + 20 + 2),
        .ip("ICMP echo reply keys as the request", eth4(proto: 1, F.icmp(type: 0)),
            src: v4A, dst: v4B, ports: (0x0800, 0x0800), proto: 1, headers: 14 + 20 + 2),
        .ip("ICMP port unreachable", eth4(proto: 1, F.icmp(type: 3, code: 3, F.ipv4(proto: 17, F.udp()))),
            src: v4A, dst: v4B, ports: (0x0303, 0x0303), proto: 1, headers: 14 + 20 + 2),
        .ip("ICMPv6 echo request", eth6(next: 58, F.icmp(type: 128)),
            src: F.v6A, dst: F.v6B, ports: (0x8000, 0x8000), proto: 58, headers: 14 + 40 + 2),
        .ip("ICMPv6 echo reply keys as the request", eth6(next: 58, F.icmp(type: 129)),
            src: F.v6A, dst: F.v6B, ports: (0x8000, 0x8000), proto: 58, headers: 14 + 40 + 2),
        .ip("ICMPv6 neighbour solicitation", eth6(next: 58, F.icmp(type: 135)),
            src: F.v6A, dst: F.v6B, ports: (0x8700, 0x8700), proto: 58, headers: 14 + 40 + 2),

        // IPv4 fragments
        .ip("IPv4 first fragment (MF)", eth4(proto: 17, id: 0xBEEF, fragment: 0x2000, F.udp(junk)),
            src: v4A, dst: v4B, ports: (53000, 53), proto: 17, flags: .fragment, fragmentID: 0xBEEF,
            headers: 14 + 20 + 4),
        .ip("IPv4 middle fragment (MF, offset 185)", eth4(proto: 17, id: 0xBEEF, fragment: 0x2000 | 185, junk),
            src: v4A, dst: v4B, proto: 17, flags: [.fragment, .laterFragment], fragmentID: 0xBEEF, headers: 14 + 20),
        .ip("IPv4 last TCP fragment has no ports or flags", eth4(proto: 6, id: 7, fragment: 370, junk),
            src: v4A, dst: v4B, proto: 6, flags: [.fragment, .laterFragment], fragmentID: 7, headers: 14 + 20),

        // IPv6 extension headers
        .ip("IPv6 hop-by-hop, TCP", eth6(next: 0, F.ipv6Options(next: 6, F.tcp())),
            src: F.v6A, dst: F.v6B, ports: (49152, 443), proto: 6, tcpFlags: TCPFlags.syn, headers: 14 + 40 + 8 + 14),
        .ip("IPv6 routing (24 bytes), UDP", eth6(next: 43, F.ipv6Options(next: 17, units: 2, F.udp())),
            src: F.v6A, dst: F.v6B, ports: (53000, 53), proto: 17, headers: 14 + 40 + 24 + 4),
        .ip("IPv6 destination options, ICMPv6", eth6(next: 60, F.ipv6Options(next: 58, F.icmp(type: 1, code: 4))),
            src: F.v6A, dst: F.v6B, ports: (0x0104, 0x0104), proto: 58, headers: 14 + 40 + 8 + 2),
        .ip("IPv6 AH, TCP", eth6(next: 51, F.authenticationHeader(next: 6, F.tcp(flags: 0x10))),
            src: F.v6A, dst: F.v6B, ports: (49152, 443), proto: 6, tcpFlags: 0x10, headers: 14 + 40 + 24 + 14),
        .ip("IPv6 ESP stops the walk", eth6(next: 50, junk),
            src: F.v6A, dst: F.v6B, proto: 50, headers: 14 + 40),
        .ip("IPv6 hop-by-hop, ESP", eth6(next: 0, F.ipv6Options(next: 50, junk)),
            src: F.v6A, dst: F.v6B, proto: 50, headers: 14 + 40 + 8),
        .ip("IPv6 no next header", eth6(next: 59, []),
            src: F.v6A, dst: F.v6B, proto: 59, headers: 14 + 40),
        .ip("IPv6 first fragment",
            eth6(next: 44, F.ipv6Fragment(next: 17, offset: 0, more: true, id: 0xDEAD_BEEF, F.udp(junk))),
            src: F.v6A, dst: F.v6B, ports: (53000, 53), proto: 17, flags: .fragment, fragmentID: 0xDEAD_BEEF,
            headers: 14 + 40 + 8 + 4),
        .ip("IPv6 later fragment stops the walk",
            eth6(next: 44, F.ipv6Fragment(next: 6, offset: 100, more: false, id: 0xDEAD_BEEF, junk)),
            src: F.v6A, dst: F.v6B, proto: 6, flags: [.fragment, .laterFragment], fragmentID: 0xDEAD_BEEF,
            headers: 14 + 40 + 8),
        .ip("IPv6 atomic fragment is not a fragment",
            eth6(next: 44, F.ipv6Fragment(next: 17, offset: 0, more: false, id: 9, F.udp())),
            src: F.v6A, dst: F.v6B, ports: (53000, 53), proto: 17, headers: 14 + 40 + 8 + 4),
        .ip("IPv6 hop-by-hop, destination, routing, fragment, AH, TCP",
            eth6(next: 0, F.ipv6Options(next: 60, F.ipv6Options(next: 43, units: 1, F.ipv6Options(next: 44,
                F.ipv6Fragment(next: 51, offset: 0, more: true, id: 42,
                    F.authenticationHeader(next: 6, F.tcp(flags: TCPFlags.syn))))))),
            src: F.v6A, dst: F.v6B, ports: (49152, 443), proto: 6, flags: .fragment, tcpFlags: TCPFlags.syn,
            fragmentID: 42, headers: 14 + 40 + 8 + 16 + 8 + 8 + 24 + 14),
    ]
}

/// IP and transport layers: every case of ``DecodeCase/networkCases`` decodes whole to its row, plus
/// the ICMP key mapping and the datagram-length bounds.
@Suite struct DecodeNetworkTests {
    @Test(arguments: DecodeCase.networkCases)
    func wholeFrameDecodes(_ testCase: DecodeCase) {
        let (batch, counters) = FrameBuilder.decode(testCase.frame, linkType: testCase.linkType)
        #expect(batch.count == 1)
        guard batch.count == 1 else { return }
        #expect(batch[0] == testCase.expected)
        #expect(counters.ipPackets == 1 && counters.skipped == 0)
    }

    /// A request and its reply decode to the same port value, `request << 8 | code`.
    @Test(arguments: [(8, 0), (13, 14), (15, 16), (17, 18)])
    func icmpReplyKeysAsRequest(request: UInt8, reply: UInt8) {
        let asked = FrameBuilder.decode(eth4(proto: 1, F.icmp(type: request)), linkType: .ethernet).batch
        let answered = FrameBuilder.decode(eth4(proto: 1, F.icmp(type: reply)), linkType: .ethernet).batch
        #expect(asked.srcPort == [UInt16(request) << 8] && asked.dstPort == asked.srcPort)
        #expect(answered.srcPort == asked.srcPort && answered.dstPort == asked.dstPort)
    }

    /// ICMPv6 echo request and reply share a key; other ICMPv6 types keep their own.
    @Test func icmpv6EchoReplyKeysAsRequest() {
        let asked = FrameBuilder.decode(eth6(next: 58, F.icmp(type: 128)), linkType: .ethernet).batch
        let answered = FrameBuilder.decode(eth6(next: 58, F.icmp(type: 129)), linkType: .ethernet).batch
        let advert = FrameBuilder.decode(eth6(next: 58, F.icmp(type: 136)), linkType: .ethernet).batch
        #expect(asked.srcPort == [0x8000] && answered.srcPort == [0x8000] && answered.dstPort == [0x8000])
        #expect(advert.srcPort == [0x8800])
    }

    /// Ethernet padding after a short IPv4 datagram is never read as its transport header.
    @Test func ipv4TotalLengthBoundsTheTransportHeader() {
        // Total length says 20 + 8: only 8 of TCP's 14 needed bytes belong to the datagram.
        let ip = F.ipv4(proto: 6, totalLength: 28, F.tcp())
        let (batch, counters) = FrameBuilder.decode(F.ethernet(type: 0x0800, ip), linkType: .ethernet)
        #expect(batch.isEmpty)
        #expect(counters.tooShort == 1)
        // A UDP datagram padded to the 60-byte Ethernet minimum decodes normally.
        let padded = F.ethernet(type: 0x0800, F.ipv4(proto: 17, F.udp()) + Array(repeating: 0xEE, count: 18))
        #expect(FrameBuilder.decode(padded, linkType: .ethernet).batch.srcPort == [53000])
    }

    /// The IPv6 payload length bounds the extension headers and the transport header.
    @Test func ipv6PayloadLengthBoundsTheHeaders() {
        let ip = F.ipv6(next: 6, payloadLength: 8, F.tcp())
        let (batch, counters) = FrameBuilder.decode(F.ethernet(type: 0x86DD, ip), linkType: .ethernet)
        #expect(batch.isEmpty)
        #expect(counters.tooShort == 1)
    }

    /// An IPv4 total length of 0 (TSO capture) or an IPv6 payload length of 0 (jumbogram) falls back
    /// to the captured bytes.
    @Test func zeroLengthFieldsUseTheCapturedBytes() {
        let v4 = FrameBuilder.decode(F.ipv4(proto: 6, totalLength: 0, F.tcp()), linkType: .raw).batch
        #expect(v4.count == 1 && v4.srcPort == [49152] && v4.tcpFlags == [TCPFlags.syn])
        let v6 = FrameBuilder.decode(F.ipv6(next: 17, payloadLength: 0, F.udp()), linkType: .raw).batch
        #expect(v6.count == 1 && v6.dstPort == [53])
    }

    /// Sixteen IPv6 extension headers are walked; a seventeenth makes the packet malformed.
    @Test(arguments: [(16, false), (17, true)])
    func extensionHeaderWalkIsBounded(headers: Int, malformed: Bool) {
        var payload = F.udp()
        var next: UInt8 = 17
        for _ in 0..<headers {
            payload = F.ipv6Options(next: next, payload)
            next = 60
        }
        let (batch, counters) = FrameBuilder.decode(F.ipv6(next: next, payload), linkType: .ipv6)
        #expect(counters.malformed == (malformed ? 1 : 0))
        #expect(batch.count == (malformed ? 0 : 1))
    }

    /// Timestamp and wire length are stored as given.
    @Test func timestampAndWireLengthPassThrough() {
        let (batch, _) = FrameBuilder.decode(
            eth4(proto: 17, F.udp()), linkType: .ethernet, wireLength: 1514, timestamp: -5)
        #expect(batch.timestamp == [-5] && batch.wireLength == [1514])
    }
}
