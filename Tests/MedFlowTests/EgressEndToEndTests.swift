import Detect
import FlowModel
import Foundation
import Output
import Testing

@testable import MedFlow

/// Egress on the real Tapo P115 capture against its published MUD profile.
///
/// Checked by hand with `tshark -r tapo.pcap -Y 'ip.addr==10.42.0.205'`: the plug (10.42.0.205) starts
/// TCP/443 sessions to 34.241.185.170, 52.16.61.54, 108.129.46.150, 18.139.191.98, 54.170.92.104 and
/// 54.169.114.238 (the last two seen mid-session: server packets first, no SYN), NTP to 154.51.12.215
/// and DNS to 10.42.0.1. Its MUD file allows only TCP/443 to 52.212.130.239 and TCP/52433 to itself,
/// neither of which the plug contacts, so every one of those destinations is outside the MUD allow-list.
@Suite(.enabled(if: SharedCaptures.available, "../shared/captures is absent"))
struct EgressEndToEndTests {
    static let capture = SharedCaptures.path("tapo.pcap")
    static let mud = SharedCaptures.path("tapo-p115.mud.json")
    /// Every (dst, dport, proto) the plug starts, from tshark.
    static let plugDestinations: Set<String> = [
        "34.241.185.170 443 tcp", "52.16.61.54 443 tcp", "108.129.46.150 443 tcp", "18.139.191.98 443 tcp",
        "54.170.92.104 443 tcp", "54.169.114.238 443 tcp", "154.51.12.215 123 udp", "10.42.0.1 53 udp",
    ]

    /// Runs `medflow analyze --policy` on the capture with a zone for the plug importing `mud`.
    static func analyze(mud: String, extra: String = "") throws -> (findings: [[String: Any]], summary: AnalysisSummary) {
        let folder = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let policy = folder + "/policy.yaml"
        try """
            zones:
              - name: plug
                kind: iot
                medical: true
                cidrs: [10.42.0.205/32]
                mud: \(mud)
            \(extra)
            """.write(toFile: policy, atomically: true, encoding: .utf8)
        var options = AnalyzeOptions(pipeline: PipelineOptions(inputs: [capture], workers: 2), outputDirectory: folder + "/out")
        options.policyPath = policy
        let summary = try Analyzer.analyze(options)
        let lines = try readBack(folder + "/out/egress.ndjson.zst").split(separator: "\n")
        let findings = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        return (findings, summary)
    }

    static func key(_ finding: [String: Any]) -> String {
        "\(finding["dst"]!) \(finding["dport"]!) \(finding["proto"]!)"
    }

    @Test("with the published MUD file, every destination of the plug is reported")
    func publishedMUD() throws {
        let (findings, summary) = try Self.analyze(mud: Self.mud)
        #expect(Set(findings.map(Self.key)) == Self.plugDestinations)
        #expect(findings.allSatisfy { $0["src"] as? String == "10.42.0.205" && $0["zone"] as? String == "plug" })
        let reasons = Dictionary(findings.map { (Self.key($0), $0["reason"] as! String) }) { a, _ in a }
        #expect(reasons["10.42.0.1 53 udp"] == "internal-not-allowed")
        #expect(reasons["34.241.185.170 443 tcp"] == "external-not-allowed")
        let names = Dictionary(findings.map { (Self.key($0), $0["dns_name"] as? String ?? "-") }) { a, _ in a }
        #expect(names["34.241.185.170 443 tcp"] == "euw1-device-cloudgateway.iot.i.tplinknbu.com")
        #expect(names["54.170.92.104 443 tcp"] == "euw1-device-cloudgateway.iot.i.tplinknbu.com")
        #expect(names["154.51.12.215 123 udp"] == "pool.ntp.org")
        #expect(names["54.169.114.238 443 tcp"] == "-")
        // tshark -Y 'dns.flags.response==1' -T fields -e dns.a: 4 + 4 + 2 + 2 + 2 A records.
        #expect(summary.findings["egress"] == 8 && summary.findings["dns_answers"] == 14)
        #expect(summary.outputs["egress"] != nil && summary.outputs["fanout"] != nil)
    }

    @Test("destinations a MUD file allows by address, DNS name or controller are absent, the others present")
    func extendedMUD() throws {
        let folder = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var json = try String(contentsOfFile: Self.mud, encoding: .utf8)
        let extraACEs = """
            { "name" : "cloud-ip", "matches" : { "ipv4" : { "protocol" : 6, "destination-ipv4-network" : "34.241.185.170/32" },
                "tcp" : { "destination-port" : { "operator" : "eq", "port" : 443 } } }, "actions" : { "forwarding" : "accept" } },
            { "name" : "api-name", "matches" : { "ipv4" : { "protocol" : 6, "ietf-acldns:dst-dnsname" : "n-euw1-device-api.tplinkcloud.com" },
                "tcp" : { "destination-port" : { "operator" : "eq", "port" : 443 } } }, "actions" : { "forwarding" : "accept" } },
            { "name" : "dns", "matches" : { "ietf-mud:mud" : { "controller" : "urn:ietf:params:mud:dns" }, "ipv4" : { "protocol" : 17 },
                "udp" : { "destination-port" : { "operator" : "eq", "port" : 53 } } }, "actions" : { "forwarding" : "accept" } },
            """
        let anchor = "\"aces\" : { \"ace\" : ["
        let range = try #require(json.range(of: anchor))
        json.replaceSubrange(range, with: anchor + extraACEs)
        let mud = folder + "/tapo-extended.mud.json"
        try json.write(toFile: mud, atomically: true, encoding: .utf8)
        let (findings, _) = try Self.analyze(mud: mud, extra: "controllers:\n  urn:ietf:params:mud:dns: [10.42.0.1/32]")
        let allowed: Set<String> = ["34.241.185.170 443 tcp", "52.16.61.54 443 tcp", "10.42.0.1 53 udp"]
        #expect(Set(findings.map(Self.key)) == Self.plugDestinations.subtracting(allowed))
    }

    @Test("a learnt policy, analysed against the same capture, reports nothing")
    func learnRoundTrip() throws {
        let folder = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let zones = folder + "/zones.yaml"
        try "zones:\n  - name: plug\n    medical: true\n    cidrs: [10.42.0.205/32]\n".write(toFile: zones, atomically: true, encoding: .utf8)
        let (yaml, summary) = try PolicyTool.learn(PipelineOptions(inputs: [Self.capture], workers: 1), zonesPath: zones)
        #expect(summary.findings["learned_rules"] == 4)
        #expect(yaml.contains("euw1-device-cloudgateway.iot.i.tplinknbu.com") && yaml.contains("pool.ntp.org"))
        let learned = folder + "/learned.yaml"
        try yaml.write(toFile: learned, atomically: true, encoding: .utf8)
        var options = AnalyzeOptions(pipeline: PipelineOptions(inputs: [Self.capture], workers: 1), outputDirectory: folder + "/out")
        options.policyPath = learned
        let result = try Analyzer.analyze(options)
        #expect(result.findings["egress"] == 0)
        #expect(try readBack(folder + "/out/egress.ndjson.zst").isEmpty)
    }

    @Test("CSV egress files carry the header and empty fields for missing names")
    func csv() throws {
        let folder = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let policy = folder + "/p.yaml"
        try "zones:\n  - name: plug\n    medical: true\n    cidrs: [10.42.0.205/32]\n".write(toFile: policy, atomically: true, encoding: .utf8)
        let options = AnalyzeOptions(pipeline: PipelineOptions(inputs: [Self.capture], workers: 1), outputDirectory: folder,
                                     compression: .none, format: .csv, policyPath: policy)
        _ = try Analyzer.analyze(options)
        let lines = try String(contentsOfFile: folder + "/egress.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == Substring(EgressSink.fieldNames.joined(separator: ",")))
        #expect(lines.count == 9)
        #expect(lines.contains { $0.hasPrefix("10.42.0.205,plug,10.42.0.1,53,udp,5,") && $0.hasSuffix(",low,,false,false") })
        #expect(try String(contentsOfFile: folder + "/fanout.csv", encoding: .utf8) == FanOutSink.fieldNames.joined(separator: ",") + "\n")
    }

    @Test("a bad policy stops analyze with one line naming the file and line")
    func badPolicy() throws {
        let folder = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let policy = folder + "/p.yaml"
        try "zones:\n  - name: plug\n    cidrs: [10.42.0.205/40]\n".write(toFile: policy, atomically: true, encoding: .utf8)
        let options = AnalyzeOptions(pipeline: PipelineOptions(inputs: [Self.capture]), outputDirectory: folder + "/out",
                                     policyPath: policy)
        do {
            _ = try Analyzer.analyze(options)
            Issue.record("no error")
        } catch {
            #expect(error.description == "\(policy):3:13: bad CIDR '10.42.0.205/40'")
            #expect(error.exitCode == 65)
        }
    }
}

@Suite(.enabled(if: MedflowBinary.url != nil, "the medflow executable is not built"))
struct PolicyCommandTests {
    @Test func checkPrintsZonesAndRules() throws {
        let path = SharedCaptures.projectRoot.appendingPathComponent("datasets/example-policy.yaml").path
        let (status, stdout, _) = try MedflowBinary.run(["policy", "check", path])
        #expect(status == 0)
        #expect(stdout.contains("zone pacs kind=pacs medical=true cidrs=10.50.1.0/24"))
        #expect(stdout.contains("allow name *.vendor-support.example tcp/443"))
    }

    @Test func checkReportsErrorsWithExitCode65() throws {
        let path = temporaryDirectory() + ".yaml"
        try "zones:\n  - name: a\n    cidrs: [10.0.0.0/8]\n    colour: red\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (status, stdout, stderr) = try MedflowBinary.run(["policy", "check", path])
        #expect(status == 65 && stdout.isEmpty)
        #expect(stderr.hasPrefix("medflow: \(path):4:5: unknown key 'colour' in zone"))
    }
}
