import Detect
import FlowModel
import Testing

@Suite("Egress detector")
struct EgressDetectorTests {
    static let yaml = """
        zones:
          - name: pacs
            medical: true
            cidrs: [10.50.1.0/24]
            allow:
              - dst: 10.10.0.0/16
              - dst: 203.0.113.10/32
                ports: [443]
                proto: tcp
              - name: "*.vendor-support.example"
                ports: [443]
          - name: office
            cidrs: [10.60.0.0/16]
        thresholds:
          upload_bytes: 1000000
        """

    static func policy() throws -> CompiledPolicy {
        CompiledPolicy(try PolicyReader.parse(yaml: yaml, path: "p.yaml"))
    }

    static func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    static func flow(_ src: String, _ dst: String, _ dport: UInt16, proto: UInt8 = 6, at second: Int64 = 0,
                     out: UInt64 = 1000, in bytesIn: UInt64 = 2000, continuation: Bool = false) -> FlowRecord {
        FlowRecord(src: ip(src), dst: ip(dst), srcPort: 50000, dstPort: dport, proto: proto,
                   flags: continuation ? .continuation : [], firstSeen: second * 1_000_000_000,
                   lastSeen: second * 1_000_000_000 + 500_000_000, packetsOut: 10, bytesOut: out, packetsIn: 10, bytesIn: bytesIn)
    }

    static func run(_ flows: [FlowRecord], answers: [DNSAnswer] = [], beacons: Set<ConnectionKey>? = nil) throws -> [EgressFinding] {
        var detector = EgressDetector(policy: try policy())
        detector.consume(FlowBatch(flows))
        var names = DNSNameTable()
        names.add(answers)
        return detector.finish(names: names, beacons: beacons)
    }

    @Test("each reason, and nothing for allowed, intra-zone or non-medical traffic")
    func reasons() throws {
        let findings = try Self.run([
            Self.flow("10.50.1.20", "198.51.100.7", 8080),           // external, not allowed
            Self.flow("10.50.1.20", "10.60.0.5", 445),               // internal, not allowed
            Self.flow("203.0.113.99", "10.50.1.20", 3389),           // inbound from outside
            Self.flow("10.50.1.20", "10.10.3.4", 104),               // allowed internal
            Self.flow("10.50.1.20", "203.0.113.10", 443),            // allowed external
            Self.flow("10.50.1.20", "203.0.113.10", 80),             // port not allowed → external
            Self.flow("10.50.1.20", "10.50.1.21", 445),              // inside the zone
            Self.flow("10.50.1.20", "255.255.255.255", 67, proto: 17),  // broadcast: never leaves the link
            Self.flow("10.50.1.20", "224.0.0.251", 5353, proto: 17), // multicast
            Self.flow("10.50.1.20", "ff02::fb", 5353, proto: 17),
            Self.flow("10.60.0.5", "8.8.8.8", 53, proto: 17),        // office, not medical
            Self.flow("10.60.0.5", "10.50.1.20", 104),               // internal into the zone: not inbound-from-external
        ])
        let summary = Set(findings.map { "\($0.key.src) \($0.key.dst) \($0.key.dport) \($0.reason.rawValue) \($0.zone)" })
        #expect(summary == [
            "10.50.1.20 198.51.100.7 8080 external-not-allowed pacs",
            "10.50.1.20 10.60.0.5 445 internal-not-allowed pacs",
            "203.0.113.99 10.50.1.20 3389 inbound-from-external pacs",
            "10.50.1.20 203.0.113.10 80 external-not-allowed pacs",
        ])
    }

    @Test("flows of one key aggregate; continuations add bytes, not connections")
    func aggregation() throws {
        let findings = try Self.run([
            Self.flow("10.50.1.20", "198.51.100.7", 8080, at: 10, out: 100, in: 10),
            Self.flow("10.50.1.20", "198.51.100.7", 8080, at: 5, out: 200, in: 20),
            Self.flow("10.50.1.20", "198.51.100.7", 8080, at: 30, out: 300, in: 30, continuation: true),
        ])
        let finding = try #require(findings.first)
        #expect(findings.count == 1)
        #expect(finding.flows == 2 && finding.bytesOut == 600 && finding.bytesIn == 60)
        #expect(finding.firstSeen == 5_000_000_000 && finding.lastSeen == 30_500_000_000)
        #expect(!finding.upload && !finding.beacon && finding.dnsName == nil)
    }

    @Test("the upload flag needs bytes out over the threshold and dominating bytes in")
    func upload() throws {
        let findings = try Self.run([
            Self.flow("10.50.1.20", "198.51.100.7", 443, out: 5_000_000, in: 100_000),
            Self.flow("10.50.1.21", "198.51.100.7", 443, out: 5_000_000, in: 4_000_000),
            Self.flow("10.50.1.22", "198.51.100.7", 443, out: 900_000, in: 100),
        ])
        let uploads = Dictionary(uniqueKeysWithValues: findings.map { ($0.key.src.description, $0.upload) })
        #expect(uploads == ["10.50.1.20": true, "10.50.1.21": false, "10.50.1.22": false])
        #expect(findings.first?.key.src.description == "10.50.1.20")  // most severe first
        #expect(findings.first?.severity == .critical)
    }

    @Test("name rules allow destinations the client looked up under a matching name")
    func nameRules() throws {
        let client = Self.ip("10.50.1.20")
        let answers = [
            DNSAnswer(time: 0, client: client, name: "eu.vendor-support.example", address: Self.ip("93.184.216.34")),
            DNSAnswer(time: 0, client: client, name: "evil.example", address: Self.ip("93.184.216.35")),
            DNSAnswer(time: 0, client: Self.ip("10.50.1.99"), name: "eu.vendor-support.example", address: Self.ip("93.184.216.36")),
        ]
        let findings = try Self.run([
            Self.flow("10.50.1.20", "93.184.216.34", 443),   // allowed by name
            Self.flow("10.50.1.20", "93.184.216.34", 22),    // name matches, port does not
            Self.flow("10.50.1.20", "93.184.216.35", 443),   // other name
            Self.flow("10.50.1.20", "93.184.216.36", 443),   // another client's lookup
        ], answers: answers)
        let summary = Set(findings.map { "\($0.key.dst):\($0.key.dport) \($0.dnsName ?? "-")" })
        #expect(summary == ["93.184.216.34:22 eu.vendor-support.example", "93.184.216.35:443 evil.example", "93.184.216.36:443 -"])
    }

    @Test("beacon keys set the flag and raise severity")
    func beaconJoin() throws {
        let flow = Self.flow("10.50.1.20", "10.60.0.5", 8080)
        let key = ConnectionKey(src: flow.src, dst: flow.dst, dport: flow.dstPort, proto: flow.proto)
        let plain = try #require(try Self.run([flow]).first)
        let joined = try #require(try Self.run([flow], beacons: [key]).first)
        #expect(!plain.beacon && joined.beacon)
        #expect(joined.severity > plain.severity)
    }

    @Test("severity ranks external, legacy ports, medical protocols, uploads and beacons")
    func severity() {
        #expect(EgressDetector.severity(reason: .internalNotAllowed, dport: 8080, upload: false, beacon: false) == .low)
        #expect(EgressDetector.severity(reason: .internalNotAllowed, dport: 445, upload: false, beacon: false) == .medium)
        #expect(EgressDetector.severity(reason: .inboundFromExternal, dport: 8080, upload: false, beacon: false) == .medium)
        #expect(EgressDetector.severity(reason: .externalNotAllowed, dport: 443, upload: false, beacon: false) == .high)
        #expect(EgressDetector.severity(reason: .externalNotAllowed, dport: 443, upload: true, beacon: false) == .critical)
        #expect(EgressDetector.severity(reason: .externalNotAllowed, dport: 2575, upload: false, beacon: false) == .critical)
    }

    @Test("merging two halves gives the findings of the whole")
    func merge() throws {
        let flows = (0..<20).map { Self.flow("10.50.1.\(20 + $0 % 3)", "198.51.100.\($0 % 4)", 8080, at: Int64($0)) }
        var whole = EgressDetector(policy: try Self.policy())
        whole.consume(FlowBatch(flows))
        var first = EgressDetector(policy: try Self.policy())
        var second = EgressDetector(policy: try Self.policy())
        first.consume(FlowBatch(flows.prefix(7)))
        second.consume(FlowBatch(flows.dropFirst(7)))
        first.merge(second)
        #expect(first.finish() == whole.finish())
        #expect(whole.finish().count == 12)
    }

    @Test("two ranges of one batch, merged, give the findings of the whole batch")
    func ranges() throws {
        let flows = (0..<20).map {
            Self.flow("10.50.1.\(20 + $0 % 3)", "198.51.100.\($0 % 4)", 8080, at: Int64($0), out: UInt64(1000 + $0))
        }
        let batch = FlowBatch(flows)
        var whole = EgressDetector(policy: try Self.policy())
        whole.consume(batch)
        for middle in [0, 1, 9, 19, 20] {
            var first = EgressDetector(policy: try Self.policy())
            var second = EgressDetector(policy: try Self.policy())
            first.consume(batch, range: 0..<middle)
            second.consume(batch, range: middle..<batch.count)
            #expect(first.flowsSeen + second.flowsSeen == 20)
            first.merge(second)
            #expect(first.finish() == whole.finish(), "split at \(middle)")
        }
        var beyond = EgressDetector(policy: try Self.policy())
        beyond.consume(batch, range: 15..<40)  // clamped to the batch
        #expect(beyond.flowsSeen == 5)
    }

    @Test("two shares of the connections, in two detectors, give the findings of one, merged in order")
    func shares() throws {
        // Severities, bytes and keys vary, so the merge has to interleave the two lists.
        let ports: [UInt16] = [8080, 445, 22]
        let flows: [FlowRecord] = (0..<60).map { (i: Int) -> FlowRecord in
            let out = UInt64(1000 * (i % 9) + i)
            return Self.flow("10.50.1.\(20 + i % 5)", "198.51.100.\(i % 7)", ports[i % 3], at: Int64(i), out: out)
        }
        let batch = FlowBatch(flows)
        var whole = EgressDetector(policy: try Self.policy())
        whole.consume(batch)
        let expected = whole.finish()
        #expect(expected.count > 20)
        var zero = EgressDetector(policy: try Self.policy()), one = EgressDetector(policy: try Self.policy())
        zero.consume(batch, share: 0, of: 2)
        one.consume(batch, share: 1, of: 2)
        #expect(!zero.finish().isEmpty && !one.finish().isEmpty)
        #expect(Set(zero.finish().map(\.key)).isDisjoint(with: one.finish().map(\.key)))
        #expect(EgressDetector.mergedFindings(zero.finish(), one.finish()) == expected)
        #expect(EgressDetector.mergedFindings(one.finish(), zero.finish()) == expected)
        var sharedZero = EgressDetector(policy: try Self.policy()), sharedOne = EgressDetector(policy: try Self.policy())
        sharedZero.consume(FlowBatch(Array(flows.prefix(25))), sharingWith: &sharedOne)
        sharedZero.consume(FlowBatch(Array(flows.dropFirst(25))), sharingWith: &sharedOne)
        #expect(sharedZero.flowsSeen == 60)
        #expect(sharedZero.finish() == zero.finish() && sharedOne.finish() == one.finish())
        #expect(EgressDetector.mergedFindings(expected, []) == expected)
    }
}
