import FlowModel
import Flows
import Testing

/// Pairing unidirectional export records into bidirectional flows.
@Suite("Flow pairer")
struct FlowPairerTests {
    static let client = IPAddress(v4: 0x0A00_0005)
    static let server = IPAddress(v4: 0x0100_0001)

    static func record(fromClient: Bool, first: Double, last: Double, packets: UInt64, bytes: UInt64,
                       clientPort: UInt16 = 40000, proto: UInt8 = 6) -> FlowRecord {
        let (src, dst, sp, dp) = fromClient ? (client, server, clientPort, UInt16(443)) : (server, client, UInt16(443), clientPort)
        return FlowRecord(src: src, dst: dst, srcPort: sp, dstPort: dp, proto: proto, firstSeen: Int64(first * 1e9),
                          lastSeen: Int64(last * 1e9), packetsOut: packets, bytesOut: bytes, tcpFlagsOut: fromClient ? 0x1B : 0x12,
                          endReason: .idle)
    }

    static func run(_ records: [FlowRecord], configuration: FlowPairingConfiguration = FlowPairingConfiguration())
        -> ([FlowRecord], FlowPairer) {
        let pairer = FlowPairer(configuration: configuration)
        var out = pairer.add(FlowBatch(records)).records
        out += pairer.finish().records
        return (out, pairer)
    }

    @Test("the two directions of one connection become one flow; the earlier side is the initiator",
          arguments: [true, false])
    func pairs(clientRecordFirst: Bool) throws {
        let a = Self.record(fromClient: true, first: 10, last: 12, packets: 6, bytes: 500)
        let b = Self.record(fromClient: false, first: 10.001, last: 12, packets: 5, bytes: 9000)
        let (flows, pairer) = Self.run(clientRecordFirst ? [a, b] : [b, a])
        #expect(flows.count == 1)
        let flow = try #require(flows.first)
        #expect(flow.src == Self.client && flow.srcPort == 40000 && flow.dstPort == 443)
        #expect(flow.packetsOut == 6 && flow.bytesOut == 500 && flow.packetsIn == 5 && flow.bytesIn == 9000)
        #expect(flow.tcpFlagsOut == 0x1B && flow.tcpFlagsIn == 0x12)
        #expect(flow.firstSeen == 10_000_000_000 && flow.lastSeen == 12_000_000_000)
        #expect(pairer.paired == 1 && pairer.unpaired == 0)
    }

    @Test("on equal start times the side sending to the lower port initiates")
    func tieBreak() throws {
        let a = Self.record(fromClient: true, first: 10, last: 11, packets: 1, bytes: 1)
        let b = Self.record(fromClient: false, first: 10, last: 11, packets: 2, bytes: 2)
        let (flows, _) = Self.run([b, a])
        #expect(flows.count == 1 && flows[0].src == Self.client && flows[0].packetsIn == 2)
    }

    @Test("records far apart in time, other ports or one direction only stay separate")
    func noPair() throws {
        let a = Self.record(fromClient: true, first: 10, last: 11, packets: 1, bytes: 1)
        let late = Self.record(fromClient: false, first: 100, last: 101, packets: 1, bytes: 1)
        let otherPort = Self.record(fromClient: false, first: 10, last: 11, packets: 1, bytes: 1, clientPort: 40001)
        let same = Self.record(fromClient: true, first: 10.5, last: 11, packets: 1, bytes: 1)
        let (flows, pairer) = Self.run([a, late, otherPort, same])
        #expect(flows.count == 4)
        #expect(pairer.paired == 0 && pairer.unpaired == 4)
        #expect(flows.allSatisfy { $0.packetsIn == 0 })
        #expect(flows.reduce(0) { $0 + $1.packets } == 4)
    }

    @Test("records already holding both directions pass through")
    func passThrough() throws {
        var bidirectional = Self.record(fromClient: true, first: 1, last: 2, packets: 1, bytes: 1)
        bidirectional.packetsIn = 3
        let (flows, pairer) = Self.run([bidirectional, Self.record(fromClient: false, first: 1, last: 2, packets: 1, bytes: 1)])
        #expect(flows.count == 2 && pairer.paired == 0)
    }

    @Test("waiting records leave once time moves past the hold window, or beyond the count bound")
    func bounded() throws {
        let pairer = FlowPairer(configuration: FlowPairingConfiguration(holdNs: 60_000_000_000, maximumPending: 3))
        let early = Self.record(fromClient: true, first: 0, last: 1, packets: 1, bytes: 1)
        var out = pairer.add(FlowBatch([early]))
        #expect(out.isEmpty && pairer.pendingCount == 1)
        out = pairer.add(FlowBatch([Self.record(fromClient: true, first: 100, last: 120, packets: 1, bytes: 1, clientPort: 1)]))
        #expect(out.count == 1 && out[0] == early)
        let many = (2..<10).map { Self.record(fromClient: true, first: 121, last: 122, packets: 1, bytes: 1, clientPort: UInt16($0)) }
        out = pairer.add(FlowBatch(many))
        #expect(pairer.pendingCount <= 3)
        #expect(out.count == 9 - pairer.pendingCount)
        let waiting = pairer.pendingCount
        #expect(pairer.finish().count == waiting)
        #expect(pairer.unpaired == 10)
    }

    @Test("ICMP echo request and reply records pair (both keyed by the request type)")
    func icmp() throws {
        let request = FlowRecord(src: Self.client, dst: Self.server, srcPort: 0, dstPort: 0x0800, proto: 1,
                                 firstSeen: 1, lastSeen: 2, packetsOut: 1, bytesOut: 84)
        let reply = FlowRecord(src: Self.server, dst: Self.client, srcPort: 0, dstPort: 0x0800, proto: 1,
                               firstSeen: 3, lastSeen: 4, packetsOut: 1, bytesOut: 84)
        let (flows, _) = Self.run([request, reply])
        #expect(flows.count == 1 && flows[0].src == Self.client && flows[0].packets == 2)
    }
}
