import Detect
import FlowModel
import Foundation
import Testing

@Suite("MUD import")
struct MUDReaderTests {
    /// A MUD file with the given ACEs in its from-device ACL, under `aclKey`.
    static func mud(aclKey: String = "ietf-access-control-list:acls", aces: String) -> String {
        """
        {"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://mud.example/pump",
          "from-device-policy": {"access-lists": {"access-list": [{"name": "fr"}]}},
          "to-device-policy": {"access-lists": {"access-list": [{"name": "to"}]}}},
         "\(aclKey)": {"acl": [
           {"name": "fr", "type": "ipv4-acl-type", "aces": {"ace": [\(aces)]}},
           {"name": "to", "aces": {"ace": [{"name": "t", "matches": {"ipv4": {"protocol": 6}}, "actions": {"forwarding": "accept"}}]}}]}}
        """
    }

    static func profile(_ json: String) throws(PolicyError) -> MUDProfile {
        try MUDReader.parse(json: Array(json.utf8), path: "m.json")
    }

    static func rules(_ json: String, controllers: [String: [Prefix]] = [:], my: [Prefix] = [])
        throws -> (CompiledPolicy, [String]) {
        let (rules, warnings) = try profile(json).allowRules(controllers: controllers, myController: my,
                                                             localNetworks: Prefix.privateRanges)
        let zone = Policy.Zone(name: "pump", medical: true, cidrs: [Prefix("10.70.0.0/16")!], allow: rules)
        return (CompiledPolicy(Policy(zones: [zone])), warnings)
    }

    static func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test("both ACL container keys are read", arguments: ["ietf-access-control-list:acls", "ietf-access-control-list:access-lists"])
    func aclKeys(key: String) throws {
        let json = Self.mud(aclKey: key, aces: """
            {"name": "a", "matches": {"ipv4": {"protocol": 6, "destination-ipv4-network": "52.212.130.239/32"},
             "tcp": {"destination-port": {"operator": "eq", "port": 443}}}, "actions": {"forwarding": "accept"}}
            """)
        let profile = try Self.profile(json)
        #expect(profile.entries.count == 1 && profile.mudURL == "https://mud.example/pump")
        let (policy, _) = try Self.rules(json)
        #expect(policy.allows(zone: 0, dst: Self.ip("52.212.130.239"), dport: 443, proto: 6))
        #expect(!policy.allows(zone: 0, dst: Self.ip("52.212.130.239"), dport: 80, proto: 6))
        #expect(!policy.allows(zone: 0, dst: Self.ip("52.212.130.239"), dport: 443, proto: 17))
        #expect(!policy.allows(zone: 0, dst: Self.ip("52.212.130.240"), dport: 443, proto: 6))
    }

    @Test("IPv6 networks, DNS names and port operators")
    func matches() throws {
        let json = Self.mud(aces: """
            {"name": "v6", "matches": {"ipv6": {"next-header": 17, "destination-ipv6-network": "2001:db8:1::/48"},
              "udp": {"destination-port": {"lower-port": 5000, "upper-port": 5010}}}, "actions": {"forwarding": "accept"}},
            {"name": "dns", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname": "Updates.PumpCo.example."},
              "tcp": {"ietf-mud:direction-initiated": "from-device", "destination-port": {"operator": "gte", "port": 8443}}},
              "actions": {"forwarding": "accept"}},
            {"name": "neq", "matches": {"ipv4": {"destination-ipv4-network": "198.51.100.0/24"},
              "tcp": {"destination-port": {"operator": "neq", "port": 23}}}, "actions": {"forwarding": "accept"}},
            {"name": "lt", "matches": {"ipv4": {"destination-ipv4-network": "198.51.101.0/24"},
              "udp": {"destination-port": {"operator": "lt", "port": 1024}}}, "actions": {"forwarding": "accept"}},
            {"name": "replies", "matches": {"tcp": {"ietf-mud:direction-initiated": "to-device"}}, "actions": {"forwarding": "accept"}},
            {"name": "dropped", "matches": {"ipv4": {"protocol": 6}}, "actions": {"forwarding": "drop"}}
            """)
        let (policy, _) = try Self.rules(json)
        #expect(policy.zones[0].allow.count == 4)
        #expect(policy.allows(zone: 0, dst: Self.ip("2001:db8:1:ff::9"), dport: 5010, proto: 17))
        #expect(!policy.allows(zone: 0, dst: Self.ip("2001:db8:1:ff::9"), dport: 5011, proto: 17))
        #expect(!policy.allows(zone: 0, dst: Self.ip("2001:db8:2::9"), dport: 5005, proto: 17))
        let cdn = Self.ip("93.184.216.34")
        #expect(!policy.allows(zone: 0, dst: cdn, dport: 8443, proto: 6))
        #expect(policy.allows(zone: 0, dst: cdn, dport: 8443, proto: 6, names: ["updates.pumpco.example"]))
        #expect(policy.allows(zone: 0, dst: cdn, dport: 9000, proto: 6, names: ["updates.pumpco.example"]))
        #expect(!policy.allows(zone: 0, dst: cdn, dport: 443, proto: 6, names: ["updates.pumpco.example"]))
        #expect(!policy.allows(zone: 0, dst: cdn, dport: 8443, proto: 6, names: ["other.example"]))
        #expect(policy.allows(zone: 0, dst: Self.ip("198.51.100.7"), dport: 22, proto: 6))
        #expect(!policy.allows(zone: 0, dst: Self.ip("198.51.100.7"), dport: 23, proto: 6))
        #expect(policy.allows(zone: 0, dst: Self.ip("198.51.101.7"), dport: 1023, proto: 17))
        #expect(!policy.allows(zone: 0, dst: Self.ip("198.51.101.7"), dport: 1024, proto: 17))
    }

    @Test("local-networks, controller and my-controller bind to the site's addresses")
    func classes() throws {
        let json = Self.mud(aces: """
            {"name": "local", "matches": {"ietf-mud:mud": {"local-networks": [null]}, "ipv4": {"protocol": 6},
              "tcp": {"destination-port": {"operator": "eq", "port": 104}}}, "actions": {"forwarding": "accept"}},
            {"name": "dns", "matches": {"ietf-mud:mud": {"controller": "urn:ietf:params:mud:dns"}, "ipv4": {"protocol": 17},
              "udp": {"destination-port": {"operator": "eq", "port": 53}}}, "actions": {"forwarding": "accept"}},
            {"name": "mine", "matches": {"ietf-mud:mud": {"my-controller": [null]}, "ipv4": {"protocol": 6},
              "tcp": {"destination-port": {"operator": "eq", "port": 443}}}, "actions": {"forwarding": "accept"}},
            {"name": "ntp", "matches": {"ietf-mud:mud": {"controller": "urn:ietf:params:mud:ntp"}, "ipv4": {"protocol": 17}},
              "actions": {"forwarding": "accept"}},
            {"name": "maker", "matches": {"ietf-mud:mud": {"same-manufacturer": [null]}}, "actions": {"forwarding": "accept"}}
            """)
        let (policy, warnings) = try Self.rules(json, controllers: ["urn:ietf:params:mud:dns": [Prefix("10.0.0.53/32")!]],
                                                my: [Prefix("10.80.0.10/32")!])
        #expect(policy.allows(zone: 0, dst: Self.ip("10.99.1.1"), dport: 104, proto: 6))
        #expect(!policy.allows(zone: 0, dst: Self.ip("8.8.8.8"), dport: 104, proto: 6))
        #expect(policy.allows(zone: 0, dst: Self.ip("10.0.0.53"), dport: 53, proto: 17))
        #expect(!policy.allows(zone: 0, dst: Self.ip("10.0.0.54"), dport: 53, proto: 17))
        #expect(policy.allows(zone: 0, dst: Self.ip("10.80.0.10"), dport: 443, proto: 6))
        #expect(!policy.allows(zone: 0, dst: Self.ip("10.80.0.11"), dport: 443, proto: 6))
        #expect(!policy.allows(zone: 0, dst: Self.ip("10.0.0.123"), dport: 123, proto: 17))
        #expect(warnings.count == 2)
        #expect(warnings.contains { $0.contains("urn:ietf:params:mud:ntp") })
        #expect(warnings.contains { $0.contains("same-manufacturer") })
        let (unbound, unboundWarnings) = try Self.rules(json)
        #expect(!unbound.allows(zone: 0, dst: Self.ip("10.80.0.10"), dport: 443, proto: 6))
        #expect(unboundWarnings.contains { $0.contains("my-controller") })
    }

    @Test("malformed MUD files are errors naming the file and place", arguments: [
        ("[1]", "m.json: /: expected a JSON object"),
        ("{\"a\": 1}", "m.json: /: no 'ietf-mud:mud' object"),
        ("{", "m.json: not JSON"),
        (mud(aces: "{\"name\": \"x\", \"matches\": {\"ipv4\": {\"destination-ipv4-network\": \"10.0.0.0/40\"}}}"),
         "m.json: ietf-access-control-list:acls/acl[fr]/aces/ace[0]/matches/ipv4/destination-ipv4-network: bad network"),
        (mud(aces: "{\"name\": \"x\", \"matches\": {\"tcp\": {\"destination-port\": {\"operator\": \"about\", \"port\": 1}}}}"),
         "m.json: ietf-access-control-list:acls/acl[fr]/aces/ace[0]/matches/tcp/destination-port: unknown port operator 'about'"),
        (mud(aces: "{\"name\": \"x\", \"matches\": {\"tcp\": {\"destination-port\": {\"operator\": \"eq\", \"port\": 70000}}}}"),
         "m.json: ietf-access-control-list:acls/acl[fr]/aces/ace[0]/matches/tcp/destination-port: bad or missing 'port'"),
        (mud(aces: "").replacingOccurrences(of: "\"name\": \"fr\", \"type\"", with: "\"name\": \"other\", \"type\""),
         "m.json: ietf-access-control-list:acls/acl: no ACL named 'fr'"),
    ])
    func errors(json: String, message: String) {
        do {
            _ = try Self.profile(json)
            Issue.record("no error")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }

    @Test("a policy zone imports its MUD file relative to the policy")
    func policyImport() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mud-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.mud(aces: """
            {"name": "a", "matches": {"ipv4": {"protocol": 6, "destination-ipv4-network": "52.212.130.239/32"}}}
            """).write(to: folder.appendingPathComponent("pump.mud.json"), atomically: true, encoding: .utf8)
        let yaml = "zones:\n  - name: pump\n    medical: true\n    cidrs: [10.70.0.0/16]\n    mud: pump.mud.json\n"
        try yaml.write(to: folder.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let policy = try PolicyReader.read(path: folder.appendingPathComponent("p.yaml").path)
        #expect(policy.zones[0].allow.count == 1)
        #expect(policy.zones[0].allow[0].origin.hasSuffix("pump.mud.json#a"))
    }
}
