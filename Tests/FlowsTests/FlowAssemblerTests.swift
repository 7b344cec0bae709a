import FlowModel
import Testing

@testable import Flows

/// Builds packet batches for flow tests.
struct PacketScript {
    var batch = PacketBatch()
    static let client = IPAddress(v4: 0x0A00_0005)  // 10.0.0.5
    static let server = IPAddress(v4: 0x0100_0001)  // 1.0.0.1 (numerically lower than the client)

    mutating func tcp(_ seconds: Double, fromClient: Bool = true, flags: UInt8, length: UInt32 = 60,
                      clientPort: UInt16 = 40000, serverPort: UInt16 = 443) {
        let (src, dst, sp, dp) = fromClient
            ? (Self.client, Self.server, clientPort, serverPort) : (Self.server, Self.client, serverPort, clientPort)
        batch.append(timestamp: Int64(seconds * 1e9), src: src, dst: dst, srcPort: sp, dstPort: dp,
                     proto: TransportProtocol.tcp, tcpFlags: flags, wireLength: length)
    }

    mutating func udp(_ seconds: Double, fromClient: Bool = true, length: UInt32 = 100) {
        let (src, dst, sp, dp) = fromClient
            ? (Self.client, Self.server, UInt16(5353), UInt16(53)) : (Self.server, Self.client, UInt16(53), UInt16(5353))
        batch.append(timestamp: Int64(seconds * 1e9), src: src, dst: dst, srcPort: sp, dstPort: dp,
                     proto: TransportProtocol.udp, wireLength: length)
    }

    /// A whole TCP connection: handshake, data both ways, FIN/FIN, last ACK.
    mutating func connection(at t: Double, clientPort: UInt16 = 40000) {
        tcp(t, flags: TCPFlags.syn, clientPort: clientPort)
        tcp(t + 0.01, fromClient: false, flags: TCPFlags.syn | TCPFlags.ack, clientPort: clientPort)
        tcp(t + 0.02, flags: TCPFlags.ack, clientPort: clientPort)
        tcp(t + 0.03, flags: TCPFlags.ack | TCPFlags.psh, length: 500, clientPort: clientPort)
        tcp(t + 0.04, fromClient: false, flags: TCPFlags.ack | TCPFlags.psh, length: 1500, clientPort: clientPort)
        tcp(t + 0.05, flags: TCPFlags.fin | TCPFlags.ack, clientPort: clientPort)
        tcp(t + 0.06, fromClient: false, flags: TCPFlags.fin | TCPFlags.ack, clientPort: clientPort)
        tcp(t + 0.07, flags: TCPFlags.ack, clientPort: clientPort)
    }

    func run(_ configuration: FlowConfiguration = FlowConfiguration(), shards: Int = 1) -> [FlowRecord] {
        let assembler = FlowAssembler(configuration: configuration, shards: shards)
        var flows = assembler.add([batch], shardIndices: [assembler.shardIndices(for: batch)])
        flows.append(contentsOf: assembler.finish())
        return flows.records.sorted { ($0.firstSeen, $0.srcPort) < ($1.firstSeen, $1.srcPort) }
    }
}

@Suite struct FlowAssemblerTests {
    @Test func tcpConnectionIsOneFlowWithTheSYNSenderAsInitiator() {
        var script = PacketScript()
        script.connection(at: 100)
        let flows = script.run()
        #expect(flows.count == 1)
        let flow = flows[0]
        #expect(flow.src == PacketScript.client && flow.dst == PacketScript.server)
        #expect(flow.srcPort == 40000 && flow.dstPort == 443)
        #expect(flow.packetsOut == 5 && flow.packetsIn == 3)
        #expect(flow.bytesOut == 60 * 4 + 500 && flow.bytesIn == 60 * 2 + 1500)
        #expect(flow.firstSeen == 100_000_000_000 && flow.lastSeen == 100_070_000_000)
        #expect(flow.tcpFlagsOut == TCPFlags.syn | TCPFlags.ack | TCPFlags.psh | TCPFlags.fin)
        #expect(flow.endReason == .fin && !flow.isContinuation)
    }

    @Test func synAckSeenFirstMakesItsReceiverTheInitiator() {
        var script = PacketScript()
        script.tcp(1, fromClient: false, flags: TCPFlags.syn | TCPFlags.ack)
        script.tcp(1.1, flags: TCPFlags.ack)
        let flows = script.run()
        #expect(flows.count == 1)
        #expect(flows[0].src == PacketScript.client && flows[0].packetsOut == 1 && flows[0].packetsIn == 1)
    }

    @Test func midStreamTrafficTakesTheFirstSenderAsInitiator() {
        var script = PacketScript()
        script.tcp(1, fromClient: false, flags: TCPFlags.ack)
        script.tcp(2, flags: TCPFlags.ack)
        let flows = script.run()
        #expect(flows.count == 1 && flows[0].src == PacketScript.server && flows[0].srcPort == 443)
    }

    @Test func newSYNAfterCloseStartsANewFlowAndTrailingPacketsStay() {
        var script = PacketScript()
        script.connection(at: 10)
        script.tcp(10.5, fromClient: false, flags: TCPFlags.ack)  // trailing ACK within the linger time
        script.connection(at: 11)  // same ports reused
        let flows = script.run()
        #expect(flows.count == 2)
        #expect(flows[0].packets == 9 && flows[0].endReason == .fin)
        #expect(flows[1].packets == 8 && flows[1].firstSeen == 11_000_000_000)
    }

    @Test func rstEndsTheFlow() {
        var script = PacketScript()
        script.tcp(1, flags: TCPFlags.syn)
        script.tcp(1.01, fromClient: false, flags: TCPFlags.rst | TCPFlags.ack)
        script.tcp(30, flags: TCPFlags.syn)  // a retry much later is a new connection
        let flows = script.run()
        #expect(flows.map(\.endReason) == [.rst, .endOfInput])
        #expect(flows[0].packetsOut == 1 && flows[0].packetsIn == 1)
    }

    @Test func idleTimeoutSplitsUDP() {
        var script = PacketScript()
        script.udp(0)
        script.udp(0.5, fromClient: false)
        script.udp(30)
        script.udp(100)  // 70 s later: past the 60 s idle timeout
        let flows = script.run()
        #expect(flows.count == 2)
        #expect(flows[0].packetsOut == 2 && flows[0].packetsIn == 1 && flows[0].endReason == .idle)
        #expect(flows[1].packetsOut == 1 && !flows[1].isContinuation)
    }

    @Test func activeTimeoutCutsLongFlowsIntoContinuations() {
        var script = PacketScript()
        for second in stride(from: 0.0, through: 250, by: 10) { script.udp(second) }
        let flows = script.run(FlowConfiguration(activeTimeout: 100))
        #expect(flows.count == 3)
        #expect(flows.map(\.isContinuation) == [false, true, true])
        #expect(flows.map(\.endReason) == [.active, .active, .endOfInput])
        #expect(flows.reduce(0) { $0 + $1.packets } == 26)
        #expect(flows.allSatisfy { $0.src == PacketScript.client })
    }

    @Test func icmpEchoRequestAndReplyShareAFlow() {
        var batch = PacketBatch()
        let a = IPAddress(v4: 0x0A00_0001), b = IPAddress(v4: 0x0A00_0002)
        batch.append(timestamp: 0, src: b, dst: a, srcPort: 0x0800, dstPort: 0x0800, proto: TransportProtocol.icmp,
                     wireLength: 98)
        batch.append(timestamp: 1000, src: a, dst: b, srcPort: 0x0800, dstPort: 0x0800, proto: TransportProtocol.icmp,
                     wireLength: 98)
        let flows = PacketScript(batch: batch).run()
        #expect(flows.count == 1)
        #expect(flows[0].src == b && flows[0].srcPort == 0 && flows[0].dstPort == 0x0800 && flows[0].packets == 2)
    }

    @Test func linkFramesBecomeLinkFlows() {
        var batch = PacketBatch()
        let mac = IPAddress(high: 0, low: 0x0011_2233_4455), broadcast = IPAddress(high: 0, low: 0xFFFF_FFFF_FFFF)
        for t in 0..<3 {
            batch.append(timestamp: Int64(t), src: mac, dst: broadcast, srcPort: 0x0806, dstPort: 0x0806, proto: 0,
                         flags: .link, wireLength: 42)
        }
        batch.append(timestamp: 5, src: mac, dst: broadcast, srcPort: 0, dstPort: 0, proto: 0, wireLength: 42)
        let flows = PacketScript(batch: batch).run()
        #expect(flows.count == 2, "a link flow never merges with IP protocol 0")
        let link = flows.first { $0.flags.contains(.link) }
        #expect(link?.packets == 3 && link?.srcPort == 0x0806 && link?.dstPort == 0 && link?.proto == 0)
    }

    @Test func laterFragmentsJoinTheirDatagramsFlow() {
        var batch = PacketBatch()
        let a = IPAddress(v4: 0x0A00_0001), b = IPAddress(v4: 0x0808_0808)
        batch.append(timestamp: 0, src: a, dst: b, srcPort: 5000, dstPort: 53, proto: TransportProtocol.udp,
                     flags: .fragment, wireLength: 1514, fragmentID: 77)
        batch.append(timestamp: 1, src: a, dst: b, srcPort: 0, dstPort: 0, proto: TransportProtocol.udp,
                     flags: [.fragment, .laterFragment], wireLength: 600, fragmentID: 77)
        batch.append(timestamp: 2, src: a, dst: b, srcPort: 0, dstPort: 0, proto: TransportProtocol.udp,
                     flags: [.fragment, .laterFragment], wireLength: 600, fragmentID: 78)  // first piece never seen
        let flows = PacketScript(batch: batch).run()
        #expect(flows.count == 2)
        #expect(flows.first { $0.dstPort == 53 }?.bytesOut == 2114)
    }

    @Test(arguments: [1, 2, 3, 7])
    func shardCountDoesNotChangeTheFlows(shards: Int) {
        var script = PacketScript()
        var generator = SplitMix(seed: 42)
        for i in 0..<400 {
            let src = IPAddress(v4: 0x0A00_0000 | UInt32(generator.next() % 50))
            let dst = IPAddress(v4: 0xC000_0200 | UInt32(generator.next() % 20))
            let t = Double(i) * 0.5
            script.batch.append(timestamp: Int64(t * 1e9), src: src, dst: dst,
                                srcPort: UInt16(1000 + generator.next() % 3), dstPort: 80, proto: TransportProtocol.udp,
                                wireLength: 100)
        }
        let reference = Set(script.run(shards: 1))
        let sharded = script.run(shards: shards)
        #expect(Set(sharded) == reference)
        #expect(sharded.reduce(0) { $0 + $1.packets } == 400)
    }
}

/// A tiny deterministic generator for tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
