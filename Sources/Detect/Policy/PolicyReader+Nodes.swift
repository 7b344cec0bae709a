internal import Foundation
import FlowModel
internal import Yams

/// The key/value pairs of one YAML mapping, in file order, looked up by key text.
struct Fields: Sequence {
    /// The pairs.
    let pairs: [(key: Node, value: Node)]

    /// The value of `key`, if present.
    subscript(key: String) -> Node? {
        pairs.first { $0.key.string == key }?.value
    }

    func makeIterator() -> IndexingIterator<[(key: Node, value: Node)]> { pairs.makeIterator() }
}

/// Typed reads of YAML nodes, each failing with a ``PolicyError`` at the node's line.
struct NodeReader {
    /// The file name used in errors.
    let path: String

    /// An error at `node`'s line and column.
    func error(_ node: Node?, _ message: String) -> PolicyError {
        PolicyError(path: path, line: node?.mark?.line, column: node?.mark?.column, message: message)
    }

    /// The node as a mapping whose keys are all in `keys` (any key when `nil`).
    func mapping(_ node: Node, keys: Set<String>?, what: String) throws(PolicyError) -> Fields {
        guard let mapping = node.mapping else { throw error(node, "\(what) must be a mapping") }
        var seen: Set<String> = []
        for (key, _) in mapping {
            guard let name = key.string, key.scalar != nil else { throw error(key, "keys of \(what) must be text") }
            if let keys, !keys.contains(name) {
                throw error(key, "unknown key '\(name)' in \(what) (expected one of: \(keys.sorted().joined(separator: ", ")))")
            }
            guard seen.insert(name).inserted else { throw error(key, "key '\(name)' given twice in \(what)") }
        }
        return Fields(pairs: mapping.map { ($0.key, $0.value) })
    }

    /// The node as a sequence.
    func sequence(_ node: Node, what: String) throws(PolicyError) -> [Node] {
        guard let sequence = node.sequence else { throw error(node, "\(what) must be a list") }
        return Array(sequence)
    }

    /// The node as a scalar's text.
    func string(_ node: Node) throws(PolicyError) -> String {
        guard let scalar = node.scalar else { throw error(node, "expected a single value") }
        return scalar.string
    }

    /// A scalar or a list of scalars, as texts.
    func strings(_ node: Node) throws(PolicyError) -> [String] {
        if node.scalar != nil { return [try string(node)] }
        guard let sequence = node.sequence else { throw error(node, "expected a value or a list of values") }
        var values: [String] = []
        for item in sequence { values.append(try string(item)) }
        return values
    }

    /// A boolean (`true`/`false`, `yes`/`no`).
    func bool(_ node: Node) throws(PolicyError) -> Bool {
        switch try string(node).lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error(node, "expected true or false, got '\(other)'")
        }
    }

    /// A non-negative number.
    func number(_ node: Node, what: String) throws(PolicyError) -> Double {
        let text = try string(node).replacingOccurrences(of: "_", with: "")
        guard let value = Double(text), value.isFinite, value >= 0 else {
            throw error(node, "\(what) must be a non-negative number, got '\(text)'")
        }
        return value
    }

    /// One CIDR prefix or a list of them (`10.0.0.0/8`, `2001:db8::/32`, a bare address = host prefix).
    func prefixes(_ node: Node) throws(PolicyError) -> [Prefix] {
        let items: [Node] = node.sequence.map(Array.init) ?? [node]
        var prefixes: [Prefix] = []
        for item in items {
            let text = try string(item)
            guard let prefix = Prefix(text) else { throw error(item, "bad CIDR '\(text)'") }
            prefixes.append(prefix)
        }
        return prefixes
    }

    /// One port, a `low-high` range, or a list of them.
    func ports(_ node: Node) throws(PolicyError) -> [Policy.PortRange] {
        let items: [Node] = node.sequence.map(Array.init) ?? [node]
        var ranges: [Policy.PortRange] = []
        for item in items {
            let text = try string(item)
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            let values = parts.map { UInt16($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(parts.count), let low = values.first ?? nil, let high = values.last ?? nil,
                  low <= high else {
                throw error(item, "bad port '\(text)' (expected 0-65535 or a range like 8000-8080)")
            }
            ranges.append(Policy.PortRange(low, high))
        }
        return ranges
    }

    /// A protocol name (`tcp`, `udp`, `icmp`, `icmpv6`, `sctp`) or number.
    func proto(_ node: Node) throws(PolicyError) -> UInt8 {
        let text = try string(node)
        guard let number = TransportProtocol.number(named: text) else {
            throw error(node, "bad protocol '\(text)' (expected tcp, udp, icmp, icmpv6, sctp or a number)")
        }
        return number
    }

    /// The `thresholds` section.
    func thresholds(_ node: Node) throws(PolicyError) -> Policy.Thresholds {
        let map = try mapping(node, keys: PolicyReader.thresholdKeys, what: "thresholds")
        var thresholds = Policy.Thresholds()
        if let value = map["upload_bytes"] {
            let bytes = try number(value, what: "upload_bytes")
            guard bytes < 0x1p64 else { throw error(value, "upload_bytes must be below 2^64") }
            thresholds.uploadBytes = UInt64(bytes)
        }
        if let value = map["upload_ratio"] { thresholds.uploadRatio = try number(value, what: "upload_ratio") }
        if let value = map["fanout_peers"] {
            let peers = try number(value, what: "fanout_peers")
            guard peers >= 2, peers < 1e9 else { throw error(value, "fanout_peers must be at least 2") }
            thresholds.fanoutPeers = Int(peers)
        }
        if let value = map["fanout_window_s"] {
            let window = try number(value, what: "fanout_window_s")
            guard window > 0 else { throw error(value, "fanout_window_s must be positive") }
            thresholds.fanoutWindowSeconds = window
        }
        if let value = map["fanout_ports"] {
            thresholds.fanoutPorts = try ports(value).flatMap { range in
                (Int(range.lower)...Int(range.upper)).map { UInt16($0) }
            }
        }
        return thresholds
    }

    /// One zone of `zones`.
    func zone(_ node: Node) throws(PolicyError) -> Policy.Zone {
        let map = try mapping(node, keys: PolicyReader.zoneKeys, what: "zone")
        guard let nameNode = map["name"] else { throw error(node, "zone without a name") }
        let name = try string(nameNode)
        guard !name.isEmpty else { throw error(nameNode, "zone name is empty") }
        var zone = Policy.Zone(name: name)
        if let value = map["kind"] { zone.kind = try string(value) }
        if let value = map["medical"] { zone.medical = try bool(value) }
        if let value = map["cidrs"] { zone.cidrs = try prefixes(value) }
        if zone.cidrs.isEmpty { throw error(node, "zone '\(name)' has no cidrs") }
        if let value = map["my_controller"] { zone.myController = try prefixes(value) }
        if let value = map["mud"] { zone.mud = try string(value) }
        if let value = map["allow"] {
            for ruleNode in try sequence(value, what: "allow") { zone.allow.append(try rule(ruleNode)) }
        }
        return zone
    }

    /// One allow rule.
    func rule(_ node: Node) throws(PolicyError) -> Policy.AllowRule {
        let map = try mapping(node, keys: PolicyReader.ruleKeys, what: "allow rule")
        var rule = Policy.AllowRule(origin: "\(path):\(node.mark?.line ?? 0)")
        if let value = map["dst"] { rule.destinations = try prefixes(value) }
        if let value = map["name"] {
            rule.names = try strings(value).map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
            if rule.names.contains(where: \.isEmpty) { throw error(value, "empty DNS name") }
        }
        if let value = map["ports"] { rule.ports = try ports(value) }
        if let value = map["proto"] { rule.proto = try proto(value) }
        return rule
    }
}
