import Detect
import FlowModel
import Testing

/// Policy and MUD files built to hurt: numbers past what the thresholds hold, and a MUD path the reader
/// must not open when the caller supplies its own MUD reader.
@Suite("Policy file: hostile input")
struct PolicyHostileTests {
    /// `UInt64(upload_bytes)` used to trap for a number of 2^64 or more; it is a policy error now.
    @Test("an upload_bytes of 2^64 or more is an error, not a trap",
          arguments: ["1e20", "18446744073709551616", "18446744073709551615", "1.8446744073709552e19"])
    func uploadBytesOverflow(text: String) {
        let yaml = "thresholds:\n  upload_bytes: \(text)\n"
        let error = #expect(throws: PolicyError.self) { try PolicyReader.parse(yaml: yaml, path: "p.yaml") }
        #expect(error?.description.hasPrefix("p.yaml:2:17: upload_bytes must be below 2^64") == true,
                "\(String(describing: error))")
    }

    @Test("the largest upload_bytes below 2^64 is read")
    func uploadBytesLargest() throws {
        let policy = try PolicyReader.parse(yaml: "thresholds:\n  upload_bytes: 18446744073709549568\n", path: "p.yaml")
        #expect(policy.thresholds.uploadBytes == 18_446_744_073_709_549_568)
    }

    @Test("a caller's MUD reader gets the resolved path and replaces the file system")
    func mudReaderSeam() throws {
        let yaml = "zones:\n  - name: pumps\n    cidrs: [10.70.0.0/16]\n    mud: /dev/zero\n  - name: b\n    cidrs: [10.71.0.0/16]\n    mud: b.json\n"
        var asked: [String] = []
        let json = #"{"ietf-mud:mud": {"from-device-policy": {"access-lists": {"access-list": [{"name": "a"}]}}}, "#
            + #""ietf-access-control-list:acls": {"acl": [{"name": "a", "aces": {"ace": [{"name": "x", "matches": "#
            + #"{"ipv4": {"destination-ipv4-network": "192.0.2.0/24"}}}]}}]}}"#
        let policy = try PolicyReader.parse(yaml: yaml, path: "p.yaml", baseDirectory: "/etc/medflow") { path throws(PolicyError) in
            asked.append(path)
            return try MUDReader.parse(json: Array(json.utf8), path: path)
        }
        #expect(asked == ["/dev/zero", "/etc/medflow/b.json"])
        #expect(policy.zones.map(\.allow.count) == [1, 1])
    }
}
