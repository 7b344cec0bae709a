import FlowModel

/// Writes a ``Policy`` back as policy YAML that ``PolicyReader`` reads to the same policy: the
/// output of `medflow policy learn`. Rules imported from a MUD file are not written (the zone's
/// `mud:` key is, so they are imported again); learnt rules carry a `# learned` comment.
public enum PolicyWriter {
    /// The policy as YAML text.
    ///
    /// - Parameter header: Comment lines written at the top (without `#`).
    public static func yaml(_ policy: Policy, header: [String] = []) -> String {
        var out = header.map { "# \($0)" }
        out.append("internal: [\(policy.internalNetworks.map { quote($0.description) }.joined(separator: ", "))]")
        if !policy.controllers.isEmpty {
            out.append("controllers:")
            for (uri, prefixes) in policy.controllers.sorted(by: { $0.key < $1.key }) {
                out.append("  \(quote(uri)): [\(prefixes.map { quote($0.description) }.joined(separator: ", "))]")
            }
        }
        out.append("zones:")
        for zone in policy.zones {
            out.append("  - name: \(quote(zone.name))")
            if let kind = zone.kind { out.append("    kind: \(quote(kind))") }
            out.append("    medical: \(zone.medical)")
            out.append("    cidrs: [\(zone.cidrs.map { quote($0.description) }.joined(separator: ", "))]")
            if let mud = zone.mud { out.append("    mud: \(quote(mud))") }
            if !zone.myController.isEmpty {
                out.append("    my_controller: [\(zone.myController.map { quote($0.description) }.joined(separator: ", "))]")
            }
            let rules = zone.allow.filter { !$0.origin.contains("#") }
            guard !rules.isEmpty else { continue }
            out.append("    allow:")
            for rule in rules {
                var first = true
                func line(_ text: String) {
                    out.append((first ? "      - " : "        ") + text)
                    first = false
                }
                if !rule.destinations.isEmpty {
                    line("dst: [\(rule.destinations.map { quote($0.description) }.joined(separator: ", "))]")
                }
                if !rule.names.isEmpty { line("name: [\(rule.names.map(quote).joined(separator: ", "))]") }
                if !rule.ports.isEmpty { line("ports: [\(rule.ports.map { quote($0.description) }.joined(separator: ", "))]") }
                if let proto = rule.proto { line("proto: \(quote(protoName(proto)))") }
                if first { line("dst: [\"::/0\"]") }
                if rule.origin == "learned" { out[out.count - 1] += "   # learned" }
            }
        }
        let allow = policy.beaconAllowlist
        if !allow.cidrs.isEmpty || !allow.names.isEmpty {
            out.append("beacon_allowlist:")
            out.append("  cidrs: [\(allow.cidrs.map { quote($0.description) }.joined(separator: ", "))]")
            out.append("  names: [\(allow.names.map(quote).joined(separator: ", "))]")
        }
        let t = policy.thresholds
        out.append("thresholds:")
        out.append("  upload_bytes: \(t.uploadBytes)")
        out.append("  upload_ratio: \(t.uploadRatio)")
        out.append("  fanout_peers: \(t.fanoutPeers)")
        out.append("  fanout_window_s: \(t.fanoutWindowSeconds)")
        out.append("  fanout_ports: [\(t.fanoutPorts.map(String.init).joined(separator: ", "))]")
        return out.joined(separator: "\n") + "\n"
    }

    /// A double-quoted YAML scalar.
    static func quote(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }

    /// The protocol as the reader takes it.
    static func protoName(_ proto: UInt8) -> String {
        switch proto {
        case 6: "tcp"
        case 17: "udp"
        case 1: "icmp"
        case 58: "icmpv6"
        case 132: "sctp"
        default: String(proto)
        }
    }
}
