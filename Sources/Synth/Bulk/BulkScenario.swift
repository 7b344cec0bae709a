import FlowModel
import Output

/// `--scenario bulk`: a stream of many random flows at a chosen packet count, for throughput tests.
///
/// 4096 flows are live at any time; each packet goes to a random live flow, which ends after a
/// geometric number of packets (mean 24) and is replaced by a new one. TCP flows open with a handshake
/// and close with FINs, sequence numbers advance with the payload; UDP flows carry random datagrams.
/// Memory is constant in the packet count.
struct BulkScenario {
    private struct Flow {
        var client: Host
        var server: Host
        var clientPort: UInt16
        var serverPort: UInt16
        var isTCP: Bool
        var sent = 0
        var remaining: Int
        var clientSeq: UInt32
        var serverSeq: UInt32
    }

    static let liveFlows = 4096
    let packets: Int
    let start: Int64
    let ipv6Share: Double
    let vlan: UInt16
    private(set) var flowsStarted = 0

    init(packets: Int, start: Int64, ipv6Share: Double, vlan: UInt16) {
        self.packets = packets
        self.start = start
        self.ipv6Share = ipv6Share
        self.vlan = vlan
    }

    /// Writes the packets; returns the time after the last one.
    mutating func run(builder: FrameBuilder, writer: CaptureWriter, random: inout SplitMix64) throws(OutputError) -> Int64 {
        var flows: [Flow] = []
        flows.reserveCapacity(Self.liveFlows)
        for _ in 0..<min(Self.liveFlows, max(1, packets)) { flows.append(newFlow(&random)) }
        var time = start
        let sizes = [0, 0, 0, 40, 120, 536, 1200, 1460, 1460, 1460]
        for _ in 0..<packets {
            time += 200 + Int64(random.next() & 0x3FF)
            let slot = Int(random.next() % UInt64(flows.count))
            var flow = flows[slot]
            let fromClient = flow.sent == 0 || (flow.sent != 1 && random.next() & 3 != 0)
            let (from, to) = fromClient ? (flow.client, flow.server) : (flow.server, flow.client)
            let (sport, dport) = fromClient ? (flow.clientPort, flow.serverPort) : (flow.serverPort, flow.clientPort)
            var payload = sizes[Int(random.next() % UInt64(sizes.count))]
            if !from.ip.isIPv4 { payload = min(payload, 1440) }
            if flow.isTCP {
                builder.begin(from: from, to: to, proto: TransportProtocol.tcp, sourcePort: sport, destinationPort: dport)
                let last = flow.remaining <= 1
                var flags = TCPFlags.ack
                if flow.sent == 0 { flags = TCPFlags.syn; payload = 0 }
                else if flow.sent == 1 { flags = TCPFlags.syn | TCPFlags.ack; payload = 0 }
                else if last { flags = TCPFlags.fin | TCPFlags.ack; payload = 0 }
                else if payload > 0 { flags |= TCPFlags.psh }
                let (seq, ack) = fromClient ? (flow.clientSeq, flow.serverSeq) : (flow.serverSeq, flow.clientSeq)
                builder.tcpHeader(seq: seq, ack: ack, flags: flags)
                if payload > 0 { builder.appendTLSRecordHeader(bodyLength: payload - 5) }
                builder.appendFiller(count: max(0, payload - 5), offset: Int(random.next() & 0xFFFE))
                let advance = UInt32(payload) &+ (flags & (TCPFlags.syn | TCPFlags.fin) != 0 ? 1 : 0)
                if fromClient { flow.clientSeq &+= advance } else { flow.serverSeq &+= advance }
            } else {
                builder.begin(from: from, to: to, proto: TransportProtocol.udp, sourcePort: sport, destinationPort: dport)
                builder.udpHeader()
                // A zero first byte keeps RTP/RTCP/STUN heuristics from claiming the random datagram.
                builder.append32(UInt32(truncatingIfNeeded: flow.sent) & 0xFFFF)
                builder.appendFiller(count: max(payload, 24) - 4, offset: Int(random.next() & 0xFFFE))
            }
            let frame = builder.finish()
            try writer.write(time: time, frame: builder.buffer, capturedLength: frame.capturedLength,
                             wireLength: frame.wireLength)
            flow.sent += 1
            flow.remaining -= 1
            flows[slot] = flow.remaining <= 0 ? newFlow(&random) : flow
        }
        return time
    }

    /// The policy written beside a bulk capture, so a throughput run exercises egress matching too: a
    /// sixteenth of the IPv4 clients and the IPv6 ones form a medical zone allowed HTTPS to half the
    /// Internet, and every other conversation of theirs is unexpected egress.
    static let policyYAML = """
        # Policy for `medflow synth --scenario bulk` (throughput runs): gives the egress detector work.
        internal: [10.0.0.0/8, fc00::/7]
        zones:
          - name: devices
            medical: true
            cidrs: [10.0.0.0/12, fd4d:6564:20::/64]
            allow:
              - {dst: 0.0.0.0/1, ports: [443], proto: tcp}
              - {dst: "2001:db8::/32", ports: [443, 8443], proto: tcp}
          - name: clients
            medical: false
            cidrs: [10.16.0.0/12, 10.32.0.0/11, 10.64.0.0/10, 10.128.0.0/9]

        """

    private mutating func newFlow(_ random: inout SplitMix64) -> Flow {
        flowsStarted += 1
        let bits = random.next()
        let isTCP = bits & 0xF < 13
        var client: Host
        var server: Host
        if random.chance(ipv6Share) {
            let clientIP = IPAddress(high: 0xFD4D_6564_0020_0000, low: bits >> 16 & 0xFFFF)
            let serverIP = IPAddress(high: 0x2001_0DB8_0000_0000 | (bits >> 32 & 0xFFFF), low: bits >> 48 | 1)
            client = Host(ip: clientIP, mac: Host.mac(for: clientIP), vlan: vlan)
            server = Host(ip: serverIP, mac: Host.gatewayMAC, vlan: vlan, ttl: 52)
        } else {
            let clientIP = IPAddress(v4: 0x0A00_0000 | UInt32(truncatingIfNeeded: bits >> 8) & 0x00FF_FFFF)
            let other = random.next()
            var firstOctet = UInt32(1 + other % 222)
            if firstOctet == 10 || firstOctet == 127 { firstOctet = 11 }
            let serverIP = IPAddress(v4: firstOctet << 24 | UInt32(truncatingIfNeeded: other >> 8) & 0x00FF_FFFE | 1)
            client = Host(ip: clientIP, mac: Host.mac(for: clientIP), vlan: vlan)
            server = Host(ip: serverIP, mac: Host.gatewayMAC, vlan: vlan, ttl: 52)
        }
        let ports: [UInt16] = isTCP ? [443, 443, 443, 8443, 993, 995] : [9000, 20000, 27015, 33000, 40000, 46000]
        let length = 3 + Int(random.exponential(mean: 21))
        return Flow(client: client, server: server, clientPort: UInt16(49_152 + (bits >> 40) % 16_000),
                    serverPort: ports[Int(bits >> 56) % ports.count], isTCP: isTCP, remaining: length,
                    clientSeq: UInt32(truncatingIfNeeded: bits), serverSeq: UInt32(truncatingIfNeeded: bits >> 29))
    }
}
