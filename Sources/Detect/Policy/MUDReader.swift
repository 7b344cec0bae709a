internal import Foundation
import FlowModel

/// Reads RFC 8520 MUD files (JSON) into ``MUDProfile``s.
///
/// Accepts the ACL container under both `ietf-access-control-list:acls` (RFC 8520) and the older
/// `ietf-access-control-list:access-lists` that MUDgee and other tools emit. Reads the ACEs of every
/// ACL the `from-device-policy` names: IPv4/IPv6 `protocol`/`next-header` and destination networks,
/// `ietf-acldns:dst-dnsname`, `tcp`/`udp` destination ports (`eq`, `neq`, `lt`, `gt`, `lte`, `gte`,
/// or `lower-port`/`upper-port`), and the `ietf-mud:mud` classes. Entries with
/// `direction-initiated: to-device` are skipped: they only allow replies to sessions started from outside.
public enum MUDReader {
    /// Reads the MUD file at `path`.
    ///
    /// - Throws: ``PolicyError`` naming `path` and the JSON path of the first problem.
    public static func read(path: String) throws(PolicyError) -> MUDProfile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyError(path: path, message: "cannot read MUD file")
        }
        return try parse(json: [UInt8](data), path: path)
    }

    /// Parses MUD JSON.
    ///
    /// - Parameters:
    ///   - json: The file's bytes.
    ///   - path: The name used in errors and rule origins.
    public static func parse(json: [UInt8], path: String) throws(PolicyError) -> MUDProfile {
        let data = Data(json)
        func fail(_ where: String, _ message: String) -> PolicyError {
            PolicyError(path: path, message: "\(`where`): \(message)")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw PolicyError(path: path, message: "not JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else { throw fail("/", "expected a JSON object") }
        guard let mud = root["ietf-mud:mud"] as? [String: Any] else { throw fail("/", "no 'ietf-mud:mud' object") }
        let aclKey = root["ietf-access-control-list:acls"] != nil ? "ietf-access-control-list:acls"
            : "ietf-access-control-list:access-lists"
        var profile = MUDProfile(path: path, mudURL: mud["mud-url"] as? String, entries: [])
        guard let fromPolicy = mud["from-device-policy"] else { return profile }
        guard let names = ((fromPolicy as? [String: Any])?["access-lists"] as? [String: Any])?["access-list"] as? [Any]
        else { throw fail("ietf-mud:mud/from-device-policy", "expected access-lists/access-list") }
        guard let acls = (root[aclKey] as? [String: Any])?["acl"] as? [Any] else {
            throw fail("/", "no '\(aclKey)/acl' list")
        }
        for (index, reference) in names.enumerated() {
            guard let name = (reference as? [String: Any])?["name"] as? String else {
                throw fail("ietf-mud:mud/from-device-policy/access-lists/access-list[\(index)]", "entry without a name")
            }
            guard let acl = acls.lazy.compactMap({ $0 as? [String: Any] }).first(where: { $0["name"] as? String == name })
            else { throw fail("\(aclKey)/acl", "no ACL named '\(name)' (named by from-device-policy)") }
            let aces = (acl["aces"] as? [String: Any])?["ace"] as? [Any] ?? []
            for (aceIndex, aceObject) in aces.enumerated() {
                let location = "\(aclKey)/acl[\(name)]/aces/ace[\(aceIndex)]"
                guard let ace = aceObject as? [String: Any] else { throw fail(location, "expected an object") }
                let forwarding = (ace["actions"] as? [String: Any])?["forwarding"] as? String ?? "accept"
                guard forwarding.hasSuffix("accept") else { continue }
                if let entry = try entry(ace, name: ace["name"] as? String ?? "ace\(aceIndex)", location: location,
                                         fail: fail) {
                    profile.entries.append(entry)
                }
            }
        }
        return profile
    }

    /// One ACE's matches, or `nil` for an entry that only allows replies to inbound sessions.
    private static func entry(_ ace: [String: Any], name: String, location: String,
                              fail: (String, String) -> PolicyError) throws(PolicyError) -> MUDProfile.Entry? {
        var entry = MUDProfile.Entry(name: name)
        let matches = ace["matches"] as? [String: Any] ?? [:]
        for family in ["ipv4", "ipv6"] {
            guard let ip = matches[family] as? [String: Any] else { continue }
            if let proto = (ip["protocol"] ?? ip["next-header"]) as? Int {
                guard (0...255).contains(proto) else { throw fail("\(location)/matches/\(family)", "bad protocol \(proto)") }
                entry.proto = UInt8(proto)
            }
            for key in ["destination-ipv4-network", "destination-ipv6-network"] {
                guard let text = ip[key] else { continue }
                guard let text = text as? String, let prefix = Prefix(text) else {
                    throw fail("\(location)/matches/\(family)/\(key)", "bad network '\(ip[key] ?? "")'")
                }
                entry.destinations.append(prefix)
            }
            if let dns = ip["ietf-acldns:dst-dnsname"] {
                guard let dns = dns as? String, !dns.isEmpty else {
                    throw fail("\(location)/matches/\(family)/ietf-acldns:dst-dnsname", "expected a DNS name")
                }
                entry.dnsNames.append(dns.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")))
            }
        }
        for (transport, number) in [("tcp", UInt8(6)), ("udp", UInt8(17))] {
            guard let match = matches[transport] as? [String: Any] else { continue }
            if entry.proto == nil { entry.proto = number }
            if let direction = match["ietf-mud:direction-initiated"] as? String, direction == "to-device" { return nil }
            if let port = match["destination-port"] {
                entry.ports = try ports(port, location: "\(location)/matches/\(transport)/destination-port", fail: fail)
            }
        }
        if let classes = matches["ietf-mud:mud"] as? [String: Any] {
            if classes["local-networks"] != nil { entry.localNetworks = true }
            if classes["my-controller"] != nil { entry.myController = true }
            if let controller = classes["controller"] {
                guard let controller = controller as? String else {
                    throw fail("\(location)/matches/ietf-mud:mud/controller", "expected a URI")
                }
                entry.controller = controller
            }
            for key in ["manufacturer", "same-manufacturer", "model"] where classes[key] != nil {
                entry.unresolvableClass = key
            }
        }
        return entry
    }

    /// RFC 8519 port match: `{"operator": "eq", "port": 443}` or `{"lower-port": a, "upper-port": b}`.
    private static func ports(_ value: Any, location: String,
                              fail: (String, String) -> PolicyError) throws(PolicyError) -> [Policy.PortRange] {
        guard let match = value as? [String: Any] else { throw fail(location, "expected an object") }
        func port(_ key: String) throws(PolicyError) -> UInt16 {
            guard let number = match[key] as? Int, let port = UInt16(exactly: number) else {
                throw fail(location, "bad or missing '\(key)'")
            }
            return port
        }
        if match["lower-port"] != nil || match["upper-port"] != nil {
            let lower = try port("lower-port"), upper = try port("upper-port")
            guard lower <= upper else { throw fail(location, "lower-port above upper-port") }
            return [Policy.PortRange(lower, upper)]
        }
        let value = try port("port")
        switch match["operator"] as? String ?? "eq" {
        case "eq": return [Policy.PortRange(value)]
        case "lte": return [Policy.PortRange(0, value)]
        case "gte": return [Policy.PortRange(value, .max)]
        case "lt":
            guard value > 0 else { throw fail(location, "'lt 0' matches no port") }
            return [Policy.PortRange(0, value - 1)]
        case "gt":
            guard value < .max else { throw fail(location, "'gt 65535' matches no port") }
            return [Policy.PortRange(value + 1, .max)]
        case "neq":
            var ranges: [Policy.PortRange] = []
            if value > 0 { ranges.append(Policy.PortRange(0, value - 1)) }
            if value < .max { ranges.append(Policy.PortRange(value + 1, .max)) }
            return ranges
        case let other: throw fail(location, "unknown port operator '\(other)'")
        }
    }
}
