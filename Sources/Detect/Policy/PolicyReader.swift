internal import Foundation
import FlowModel
internal import Yams

/// Reads a policy file (YAML) into a ``Policy``, importing the MUD files its zones name.
///
/// The reader is strict: an unknown key, a CIDR or port that does not parse, a value of the wrong
/// shape, or a MUD file that cannot be read stops it with a ``PolicyError`` naming the file and line.
/// The accepted keys are listed in ``topKeys``, ``zoneKeys``, ``ruleKeys`` and the README.
public enum PolicyReader {
    /// Keys allowed at the top level.
    static let topKeys: Set<String> = ["internal", "zones", "beacon_allowlist", "thresholds", "controllers"]
    /// Keys allowed in a zone.
    static let zoneKeys: Set<String> = ["name", "kind", "medical", "cidrs", "allow", "mud", "my_controller",
                                        "description"]
    /// Keys allowed in an allow rule.
    static let ruleKeys: Set<String> = ["dst", "name", "ports", "proto", "comment"]
    /// Keys allowed in `beacon_allowlist`.
    static let beaconKeys: Set<String> = ["cidrs", "names"]
    /// Keys allowed in `thresholds`.
    static let thresholdKeys: Set<String> = ["upload_bytes", "upload_ratio", "fanout_peers", "fanout_window_s",
                                             "fanout_ports"]

    /// Reads the policy file at `path`.
    ///
    /// - Parameter path: The YAML file; MUD paths inside are relative to its folder.
    /// - Throws: ``PolicyError`` naming the file and line of the first problem.
    public static func read(path: String) throws(PolicyError) -> Policy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyError(path: path, message: "cannot read policy file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyError(path: path, message: "policy file is not UTF-8 text")
        }
        let folder = (path as NSString).deletingLastPathComponent
        return try parse(yaml: text, path: path, baseDirectory: folder.isEmpty ? "." : folder)
    }

    /// Parses policy YAML.
    ///
    /// - Parameters:
    ///   - yaml: The file's text.
    ///   - path: The name used in errors and rule origins.
    ///   - baseDirectory: The folder relative MUD paths are resolved against.
    ///   - readMUD: Reads the MUD file a zone names, given its resolved path; ``MUDReader/read(path:)``
    ///     unless a caller (a fuzz target, a test) must not touch the file system.
    /// - Throws: ``PolicyError`` naming `path` and the line of the first problem.
    public static func parse(
        yaml: String, path: String, baseDirectory: String = ".",
        readMUD: (String) throws(PolicyError) -> MUDProfile = MUDReader.read(path:)
    ) throws(PolicyError) -> Policy {
        let root: Node?
        do {
            // The basic resolver: the reader reads every scalar as text itself, so the default resolver's
            // implicit tags (bool, int, float, null, timestamp) were unused, and building its regular
            // expressions through ICU took ~5 ms and 18 MB at every start.
            root = try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            throw yamlError(error, path: path)
        } catch {
            throw PolicyError(path: path, message: "\(error)")
        }
        guard let root else { return Policy() }
        let context = NodeReader(path: path)
        let top = try context.mapping(root, keys: topKeys, what: "the policy")
        var policy = Policy()
        if let node = top["internal"] { policy.internalNetworks = try context.prefixes(node) }
        if let node = top["controllers"] {
            for (key, value) in try context.mapping(node, keys: nil, what: "controllers") {
                policy.controllers[try context.string(key)] = try context.prefixes(value)
            }
        }
        if let node = top["thresholds"] { policy.thresholds = try context.thresholds(node) }
        if let node = top["beacon_allowlist"] {
            let map = try context.mapping(node, keys: beaconKeys, what: "beacon_allowlist")
            if let cidrs = map["cidrs"] { policy.beaconAllowlist.cidrs = try context.prefixes(cidrs) }
            if let names = map["names"] { policy.beaconAllowlist.names = try context.strings(names).map { $0.lowercased() } }
        }
        if let node = top["zones"] {
            var seen: Set<String> = []
            for zoneNode in try context.sequence(node, what: "zones") {
                var zone = try context.zone(zoneNode)
                guard seen.insert(zone.name).inserted else {
                    throw context.error(zoneNode, "zone '\(zone.name)' is defined twice")
                }
                if let mud = zone.mud {
                    let mudNode = try context.mapping(zoneNode, keys: zoneKeys, what: "zone")["mud"]
                    let resolved = mud.hasPrefix("/") ? mud : (baseDirectory as NSString).appendingPathComponent(mud)
                    do {
                        let profile = try readMUD(resolved)
                        let imported = profile.allowRules(controllers: policy.controllers, myController: zone.myController,
                                                             localNetworks: policy.internalNetworks)
                        zone.allow += imported.rules
                        policy.warnings += imported.warnings.map { "\(path): zone '\(zone.name)': \($0)" }
                    } catch {
                        let line = mudNode?.mark?.line
                        throw PolicyError(path: path, line: line, column: mudNode?.mark?.column,
                                          message: "MUD file of zone '\(zone.name)': \(error.description)")
                    }
                }
                policy.zones.append(zone)
            }
        }
        return policy
    }

    /// A Yams syntax error as a ``PolicyError`` with its line.
    private static func yamlError(_ error: YamlError, path: String) -> PolicyError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return PolicyError(path: path, line: mark.line, column: mark.column, message: "YAML: \(prefix)\(problem)")
        default:
            return PolicyError(path: path, message: "YAML: \(error)")
        }
    }
}
