import Detect
import FlowModel
import Testing

@Suite("Fan-out detector")
struct FanOutDetectorTests {
    static func policy(peers: Int = 5, window: Double = 60) throws -> CompiledPolicy {
        let yaml = """
            zones:
              - name: modality
                medical: true
                cidrs: [10.50.2.0/24]
            thresholds:
              fanout_peers: \(peers)
              fanout_window_s: \(window)
              fanout_ports: [445, 3389]
            """
        return CompiledPolicy(try PolicyReader.parse(yaml: yaml, path: "p.yaml"))
    }

    static func connection(_ src: String, _ peer: Int, port: UInt16 = 445, at seconds: Double) -> FlowRecord {
        let time = Int64(seconds * 1e9)
        return FlowRecord(src: IPAddress(src)!, dst: IPAddress("10.50.2.\(peer)")!, srcPort: 50000, dstPort: port, proto: 6,
                          firstSeen: time, lastSeen: time + 1_000_000, packetsOut: 1, bytesOut: 60)
    }

    static func run(_ flows: [FlowRecord], peers: Int = 5, window: Double = 60) throws -> [FanOutFinding] {
        var detector = FanOutDetector(policy: try policy(peers: peers, window: window))
        detector.consume(FlowBatch(flows))
        return detector.finish()
    }

    @Test("a host reaching enough peers inside the window is reported once, with its best window")
    func reported() throws {
        var flows = (0..<8).map { Self.connection("10.50.2.9", 100 + $0, at: 100 + Double($0) * 5) }  // 8 peers in 35 s
        flows += (0..<8).map { Self.connection("10.50.2.9", 100 + $0, at: 500 + Double($0)) }          // the same peers again
        let findings = try Self.run(flows)
        let finding = try #require(findings.first)
        #expect(findings.count == 1)
        #expect(finding.peers == 8 && finding.dport == 445 && finding.proto == 6 && finding.zone == "modality")
        #expect(finding.firstSeen == 100_000_000_000 && finding.lastSeen == 135_000_000_000)
        #expect(finding.windowSeconds == 35)
    }

    @Test("peers spread wider than the window are not a fan-out")
    func spread() throws {
        let flows = (0..<8).map { Self.connection("10.50.2.9", 100 + $0, at: Double($0) * 20) }  // 4 peers per 60 s
        #expect(try Self.run(flows).isEmpty)
        #expect(try Self.run(flows, window: 140).first?.peers == 8)
    }

    @Test("repeat connections to one peer, other ports and external peers do not count")
    func distinctInternalOnly() throws {
        var flows = (0..<20).map { Self.connection("10.50.2.9", 100, at: Double($0)) }
        flows += (0..<10).map { Self.connection("10.50.2.9", 100 + $0, port: 8080, at: Double($0)) }
        flows += (0..<10).map { i in
            FlowRecord(src: IPAddress("10.50.2.9")!, dst: IPAddress("198.51.100.\(i)")!, srcPort: 1, dstPort: 445, proto: 6,
                       firstSeen: Int64(i) * 1_000_000_000, lastSeen: Int64(i) * 1_000_000_000, packetsOut: 1, bytesOut: 60)
        }
        #expect(try Self.run(flows).isEmpty)
    }

    @Test("each port is its own key")
    func perPort() throws {
        let flows = (0..<6).map { Self.connection("10.50.2.9", 100 + $0, at: Double($0)) }
            + (0..<6).map { Self.connection("10.50.2.9", 100 + $0, port: 3389, at: Double($0)) }
        #expect(Set(try Self.run(flows).map(\.dport)) == [445, 3389])
    }

    @Test("merged halves give the findings of the whole", arguments: [1, 5, 11])
    func merge(split: Int) throws {
        let flows = (0..<12).map { Self.connection("10.50.2.9", 100 + $0, at: Double(($0 * 7) % 12)) }
        var first = FanOutDetector(policy: try Self.policy())
        var second = FanOutDetector(policy: try Self.policy())
        first.consume(FlowBatch(flows.prefix(split)))
        second.consume(FlowBatch(flows.dropFirst(split)))
        first.merge(second)
        #expect(first.finish() == (try Self.run(flows)))
    }
}
