import Detect
import FlowModel
import Foundation
import Testing

@Suite("Policy file reading")
struct PolicyReaderTests {
    static let example = """
        internal: [10.0.0.0/8, 172.16.0.0/12]
        controllers:
          urn:ietf:params:mud:dns: [10.0.0.53]
        zones:
          - name: pacs
            kind: pacs
            medical: true
            cidrs: [10.50.1.0/24, "2001:db8:50::/48"]
            allow:
              - dst: 10.0.0.0/8
              - dst: 203.0.113.10/32
                ports: [443, 8000-8080]
                proto: tcp
              - name: "*.vendor-support.example"
          - name: office
            cidrs: 10.60.0.0/16
        beacon_allowlist:
          cidrs: [198.51.100.123/32]
          names: ["*.ntp.org"]
        thresholds:
          upload_bytes: 1_000_000
          fanout_peers: 5
          fanout_window_s: 60
          fanout_ports: [445, 3389]
        """

    @Test("reads every section")
    func readsExample() throws {
        let policy = try PolicyReader.parse(yaml: Self.example, path: "p.yaml")
        #expect(policy.internalNetworks.map(\.description) == ["10.0.0.0/8", "172.16.0.0/12"])
        #expect(policy.zones.map(\.name) == ["pacs", "office"])
        let pacs = policy.zones[0]
        #expect(pacs.medical && pacs.kind == "pacs" && !policy.zones[1].medical)
        #expect(pacs.cidrs.map(\.description) == ["10.50.1.0/24", "2001:db8:50::/48"])
        #expect(pacs.allow.count == 3)
        #expect(pacs.allow[1].ports == [Policy.PortRange(443), Policy.PortRange(8000, 8080)])
        #expect(pacs.allow[1].proto == 6)
        #expect(pacs.allow[1].origin == "p.yaml:11")
        #expect(pacs.allow[2].names == ["*.vendor-support.example"])
        #expect(policy.controllers["urn:ietf:params:mud:dns"]?.map(\.description) == ["10.0.0.53/32"])
        #expect(policy.beaconAllowlist.names == ["*.ntp.org"])
        #expect(policy.thresholds.uploadBytes == 1_000_000 && policy.thresholds.fanoutPeers == 5)
        #expect(policy.thresholds.fanoutWindowSeconds == 60 && policy.thresholds.fanoutPorts == [445, 3389])
    }

    @Test("an empty file is the default policy")
    func empty() throws {
        let policy = try PolicyReader.parse(yaml: "", path: "p.yaml")
        #expect(policy.zones.isEmpty && policy.internalNetworks == Prefix.privateRanges)
    }

    @Test("errors name the file and line", arguments: [
        ("zones:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    alow: []\n", "p.yaml:4:5: unknown key 'alow' in zone"),
        ("zones:\n  - name: a\n    cidrs: [10.0.0.0/33]\n", "p.yaml:3:13: bad CIDR '10.0.0.0/33'"),
        ("zones:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    allow:\n      - ports: [70000]\n", "p.yaml:5:17: bad port '70000'"),
        ("zones:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    allow:\n      - ports: [9-1]\n", "p.yaml:5:17: bad port '9-1'"),
        ("zones:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    allow:\n      - proto: gre\n", "p.yaml:5:16: bad protocol 'gre'"),
        ("zones:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    mud: missing.json\n", "p.yaml:4:10: MUD file of zone 'a': ./missing.json: cannot read MUD file"),
        ("intern: []\n", "p.yaml:1:1: unknown key 'intern' in the policy"),
        ("zones:\n  - cidrs: [10.0.0.0/8]\n", "p.yaml:2:5: zone without a name"),
        ("zones:\n  - name: a\n    medical: maybe\n    cidrs: [10.0.0.0/8]\n", "p.yaml:3:14: expected true or false"),
        ("zones:\n  - name: a\n", "p.yaml:2:5: zone 'a' has no cidrs"),
        ("zones:\n  - name: a\n    cidrs: [10.0.0.0/8]\n  - name: a\n    cidrs: [10.1.0.0/16]\n", "p.yaml:4:5: zone 'a' is defined twice"),
        ("thresholds:\n  fanout_peers: -3\n", "p.yaml:2:17: fanout_peers must be a non-negative number"),
        ("zones: [\n", "p.yaml:2:1: YAML:"),
        ("zones: {a: 1}\n", "p.yaml:1:8: zones must be a list"),
    ])
    func errors(yaml: String, message: String) {
        do {
            _ = try PolicyReader.parse(yaml: yaml, path: "p.yaml")
            Issue.record("no error for \(yaml)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }

    @Test("a missing policy file is an error naming it")
    func missingFile() {
        #expect(throws: PolicyError(path: "/nonexistent/p.yaml", message: "cannot read policy file")) {
            try PolicyReader.read(path: "/nonexistent/p.yaml")
        }
    }

    @Test("wildcard names match the name and its subdomains only")
    func nameMatching() {
        #expect(Policy.name("a.vendor.example", matches: "*.vendor.example"))
        #expect(Policy.name("vendor.example", matches: "*.vendor.example"))
        #expect(!Policy.name("evilvendor.example", matches: "*.vendor.example"))
        #expect(Policy.name("Host.Example", matches: "host.example"))
        #expect(!Policy.name("a.host.example", matches: "host.example"))
    }

    @Test("the example policy in datasets/ reads and compiles")
    func datasetExample() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../datasets/example-policy.yaml").path
        let policy = try PolicyReader.read(path: path)
        #expect(policy.zones.contains { $0.medical })
        #expect(!CompiledPolicy(policy).describe().isEmpty)
    }
}
