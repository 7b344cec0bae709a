public import FlowModel

/// A ``Policy`` turned into fast lookups: which zone an address is in, whether it is internal, and
/// whether a zone's allow rules let a connection through.
public struct CompiledPolicy: Sendable {
    /// The policy compiled.
    public let policy: Policy
    /// The internal networks.
    private let internalSet: PrefixSet
    /// Multicast, broadcast and link-local space: never "external", whatever `internal` says.
    private let localScope: PrefixSet
    /// Every zone CIDR.
    private let zoneSet: PrefixSet
    /// The zone index of each zone CIDR (the first zone listing it), in the order of `zoneSet.prefixes`.
    private let zoneOfPrefix: [Int]
    /// Each zone's rules, with their destinations as prefix sets.
    private let rules: [[CompiledRule]]

    /// One allow rule ready to match.
    struct CompiledRule: Sendable {
        let destinations: PrefixSet
        let names: [String]
        let ports: [Policy.PortRange]
        let proto: UInt8?
    }

    /// Multicast (224.0.0.0/4, ff00::/8), limited broadcast, and link-local (169.254/16, fe80::/10).
    public static let localScopeRanges: [Prefix] = [
        Prefix(v4: 0xE000_0000, length: 4), Prefix(v4: 0xFFFF_FFFF, length: 32), Prefix(v4: 0xA9FE_0000, length: 16),
        Prefix(address: IPAddress(high: 0xFF00_0000_0000_0000, low: 0), length: 8),
        Prefix(address: IPAddress(high: 0xFE80_0000_0000_0000, low: 0), length: 10),
    ]

    /// Compiles `policy`.
    public init(_ policy: Policy) {
        self.policy = policy
        internalSet = PrefixSet(policy.internalNetworks)
        localScope = PrefixSet(Self.localScopeRanges)
        var zoneOfPrefix: [Prefix: Int] = [:]
        for (index, zone) in policy.zones.enumerated() {
            for prefix in zone.cidrs where zoneOfPrefix[prefix] == nil { zoneOfPrefix[prefix] = index }
        }
        zoneSet = PrefixSet(zoneOfPrefix.keys)
        self.zoneOfPrefix = zoneSet.prefixes.map { zoneOfPrefix[$0]! }
        rules = policy.zones.map { zone in
            zone.allow.map {
                CompiledRule(destinations: PrefixSet($0.destinations), names: $0.names, ports: $0.ports, proto: $0.proto)
            }
        }
    }

    /// The zones, in policy order.
    public var zones: [Policy.Zone] { policy.zones }

    /// The zone holding `address` (longest matching zone CIDR), or `nil`.
    public func zoneIndex(of address: IPAddress) -> Int? {
        guard let index = zoneSet.longestMatchIndex(address) else { return nil }
        return zoneOfPrefix[index]
    }

    /// Whether `address` is inside the hospital: an internal network, a zone, or local scope
    /// (multicast, broadcast, link-local).
    public func isInternal(_ address: IPAddress) -> Bool {
        internalSet.contains(address) || zoneSet.contains(address) || localScope.contains(address)
    }

    /// Whether `address` is multicast, limited broadcast or link-local: traffic that never leaves the link
    /// (DHCP, mDNS, SSDP) and is not egress.
    public func isLocalScope(_ address: IPAddress) -> Bool {
        localScope.contains(address)
    }

    /// Whether any rule of zone `zone` names DNS patterns (so its verdicts depend on DNS answers).
    public func zoneUsesNames(_ zone: Int) -> Bool {
        rules[zone].contains { !$0.names.isEmpty }
    }

    /// Whether a rule of zone `zone` allows a connection to `dst` port `dport` over `proto`, given the names
    /// the client looked `dst` up as.
    ///
    /// - Parameters:
    ///   - zone: The initiator's zone index.
    ///   - dst: The responder address.
    ///   - dport: The responder port.
    ///   - proto: The IP protocol number.
    ///   - names: The DNS names the initiator resolved to `dst` (empty when unknown).
    public func allows(zone: Int, dst: IPAddress, dport: UInt16, proto: UInt8, names: [String] = []) -> Bool {
        // Read in place: binding each rule to a local copied its four arrays (retains and releases were
        // two thirds of a call, which the egress detector makes for most flows of a medical zone).
        rules[zone].withUnsafeBufferPointer { zoneRules in
            for r in zoneRules.indices {
                if let ruleProto = zoneRules[r].proto, ruleProto != proto { continue }
                if !zoneRules[r].ports.isEmpty, !zoneRules[r].ports.contains(where: { $0.contains(dport) }) { continue }
                if !zoneRules[r].destinations.isEmpty, !zoneRules[r].destinations.contains(dst) { continue }
                if !zoneRules[r].names.isEmpty, !names.contains(where: { name in
                    zoneRules[r].names.contains { Policy.name(name, matches: $0) }
                }) { continue }
                return true
            }
            return false
        }
    }

    /// Whether beacon findings to `dst` (looked up as `names`) are expected and should be demoted.
    public func beaconAllowed(dst: IPAddress, names: [String]) -> Bool {
        if policy.beaconAllowlist.cidrs.contains(where: { $0.contains(dst) }) { return true }
        return names.contains { name in policy.beaconAllowlist.names.contains { Policy.name(name, matches: $0) } }
    }

    /// A human-readable listing of the zones and the rules they compile to (`medflow policy check`).
    public func describe() -> String {
        var lines: [String] = []
        lines.append("internal: " + policy.internalNetworks.map(\.description).joined(separator: ", "))
        for (index, zone) in policy.zones.enumerated() {
            let kind = zone.kind.map { " kind=\($0)" } ?? ""
            lines.append("zone \(zone.name)\(kind) medical=\(zone.medical) cidrs=\(zone.cidrs.map(\.description).joined(separator: ","))")
            if zone.medical && rules[index].isEmpty { lines.append("  (no allow rules: every connection leaving the zone is reported)") }
            for rule in zone.allow { lines.append("  allow \(rule)") }
        }
        let t = policy.thresholds
        lines.append("thresholds: upload_bytes=\(t.uploadBytes) upload_ratio=\(t.uploadRatio) fanout_peers=\(t.fanoutPeers) "
                     + "fanout_window_s=\(t.fanoutWindowSeconds) fanout_ports=\(t.fanoutPorts.map(String.init).joined(separator: ","))")
        if !policy.beaconAllowlist.cidrs.isEmpty || !policy.beaconAllowlist.names.isEmpty {
            lines.append("beacon_allowlist: " + (policy.beaconAllowlist.cidrs.map(\.description) + policy.beaconAllowlist.names)
                .joined(separator: ", "))
        }
        for warning in policy.warnings { lines.append("warning: \(warning)") }
        return lines.joined(separator: "\n")
    }
}
