import Detect
import FlowModel
import Testing

@Suite("Policy learning and writing")
struct PolicyLearnerTests {
    static let zones = """
        internal: [10.0.0.0/8]
        zones:
          - name: pump
            kind: pump
            medical: true
            cidrs: [10.70.0.0/16]
            allow:
              - dst: 10.10.0.53/32
                ports: [53]
                proto: udp
          - name: office
            cidrs: [10.60.0.0/16]
        thresholds:
          fanout_peers: 7
        """

    static func flow(_ src: String, _ dst: String, _ dport: UInt16, proto: UInt8 = 6) -> FlowRecord {
        FlowRecord(src: IPAddress(src)!, dst: IPAddress(dst)!, srcPort: 50000, dstPort: dport, proto: proto,
                   firstSeen: 0, lastSeen: 1, packetsOut: 1, bytesOut: 100, tcpFlagsOut: TCPFlags.syn)
    }

    @Test("learnt rules collapse internal hosts, keep external hosts, name what DNS names, and merge ports")
    func learn() throws {
        let policy = CompiledPolicy(try PolicyReader.parse(yaml: Self.zones, path: "z.yaml"))
        var learner = PolicyLearner(policy: policy)
        learner.consume(FlowBatch([
            Self.flow("10.70.0.5", "10.10.7.5", 443), Self.flow("10.70.0.6", "10.10.7.9", 443),  // same internal /24
            Self.flow("10.70.0.5", "10.10.7.5", 8443),
            Self.flow("10.70.0.5", "10.10.7.9", 8443),
            Self.flow("10.70.0.5", "198.51.100.1", 443), Self.flow("10.70.0.5", "198.51.100.2", 443),  // external: hosts
            Self.flow("10.70.0.5", "93.184.216.34", 443),                                            // named
            Self.flow("10.70.0.5", "10.70.3.3", 445),                                                // inside the zone
            Self.flow("10.60.0.1", "8.8.8.8", 53, proto: 17),                                         // not medical
        ]))
        var names = DNSNameTable()
        names.add([DNSAnswer(time: 0, client: IPAddress("10.70.0.5")!, name: "updates.pumpco.example",
                             address: IPAddress("93.184.216.34")!)])
        let proposal = learner.proposal(names: names)
        let learnt = proposal.zones[0].allow.filter { $0.origin == "learned" }.map(\.description)
        #expect(Set(learnt) == [
            "dst 10.10.7.0/24 tcp/443,8443 (learned)",
            "dst 198.51.100.1/32,198.51.100.2/32 tcp/443 (learned)",
            "name updates.pumpco.example tcp/443 (learned)",
        ])
        #expect(proposal.zones[0].allow.count == 4)  // the zones file's rule is kept
        #expect(proposal.zones[1].allow.isEmpty)
    }

    @Test("written YAML reads back to the same zones, rules and thresholds")
    func roundTrip() throws {
        let policy = try PolicyReader.parse(yaml: Self.zones, path: "z.yaml")
        var learnt = policy
        learnt.zones[0].allow.append(Policy.AllowRule(destinations: [Prefix("2001:db8::/32")!], names: ["*.x.example"],
                                                      ports: [Policy.PortRange(5000, 5010)], proto: 17, origin: "learned"))
        let yaml = PolicyWriter.yaml(learnt, header: ["test"])
        #expect(yaml.hasPrefix("# test\n"))
        let back = try PolicyReader.parse(yaml: yaml, path: "w.yaml")
        #expect(back.internalNetworks == learnt.internalNetworks)
        #expect(back.zones.map(\.name) == learnt.zones.map(\.name))
        #expect(back.zones.map(\.kind) == learnt.zones.map(\.kind))
        #expect(back.zones.map(\.cidrs) == learnt.zones.map(\.cidrs))
        let strip: (Policy.AllowRule) -> String = { rule in
            var copy = rule
            copy.origin = ""
            return copy.description
        }
        #expect(back.zones[0].allow.map(strip) == learnt.zones[0].allow.map(strip))
        #expect(back.thresholds == learnt.thresholds)
    }
}
