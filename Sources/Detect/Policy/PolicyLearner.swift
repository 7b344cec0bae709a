public import FlowModel

/// Proposes allow rules from observed traffic: a baseline of what each medical zone talked to, for a
/// hospital to review and adopt as its policy (`medflow policy learn`).
///
/// Every connection a medical zone initiated to an address outside the zone is counted per
/// (zone, destination, port, protocol). ``proposal(names:)`` then writes one rule per protocol and
/// set of ports, listing the destinations seen on exactly those ports:
/// - destinations the client looked up by name become name rules (the exact queried name);
/// - internal addresses collapse to their /24 (IPv6: /64) when two or more of them share it;
/// - external addresses collapse to their /24 only when at least ``externalCollapse`` of them share it,
///   else stay single hosts (a /32 or /128);
/// - ICMP rules carry no ports.
public struct PolicyLearner: Sendable {
    /// The policy whose zones are learnt (allow rules already there are kept).
    public let policy: CompiledPolicy
    /// Connections per (zone, destination, port, protocol).
    private var seen: [Observation: UInt64] = [:]
    /// Hosts of one external /24 needed before the /24 is proposed instead of the hosts.
    public static let externalCollapse = 4

    /// One observed destination of a zone.
    struct Observation: Hashable, Sendable {
        let zone: Int
        let client: IPAddress
        let dst: IPAddress
        let dport: UInt16
        let proto: UInt8
    }

    /// Creates a learner for the zones of `policy`.
    public init(policy: CompiledPolicy) {
        self.policy = policy
    }

    /// Takes finished flows.
    public mutating func consume(_ flows: FlowBatch) {
        for i in 0..<flows.count {
            let flags = FlowRecord.Flags(rawValue: flows.flags[i])
            guard !flags.contains(.link), !flags.contains(.continuation) else { continue }
            let (src, dst, dport, _, _) = Orientation.oriented(flows, i)
            guard let zone = policy.zoneIndex(of: src), policy.zones[zone].medical else { continue }
            guard policy.zoneIndex(of: dst) != zone else { continue }
            let proto = flows.proto[i]
            let icmp = proto == TransportProtocol.icmp || proto == TransportProtocol.icmpv6
            seen[Observation(zone: zone, client: src, dst: dst, dport: icmp ? 0 : dport, proto: proto), default: 0] += 1
        }
    }

    /// The policy with the learnt rules added to each medical zone's allow list (origin `learned`).
    ///
    /// - Parameter names: DNS names from the same captures, for name rules.
    public func proposal(names: DNSNameTable = DNSNameTable()) -> Policy {
        var result = policy.policy
        for zone in result.zones.indices where result.zones[zone].medical {
            // (proto, port) → name patterns and addresses
            var byService: [Service: (names: Set<String>, addresses: Set<IPAddress>)] = [:]
            for (observation, _) in seen where observation.zone == zone {
                let service = Service(proto: observation.proto, port: observation.dport)
                let looked = names.names(client: observation.client, address: observation.dst)
                if let name = looked.first {
                    byService[service, default: ([], [])].names.insert(name)
                } else {
                    byService[service, default: ([], [])].addresses.insert(observation.dst)
                }
            }
            // Ports per destination prefix and per name, then one rule per (protocol, port set).
            var portsOfPrefix: [Pair<Prefix>: Set<UInt16>] = [:]
            var portsOfName: [Pair<String>: Set<UInt16>] = [:]
            for (service, target) in byService {
                for prefix in Self.collapse(Array(target.addresses), internal: policy.isInternal) {
                    portsOfPrefix[Pair(proto: service.proto, value: prefix), default: []].insert(service.port)
                }
                for name in target.names { portsOfName[Pair(proto: service.proto, value: name), default: []].insert(service.port) }
            }
            var byPorts: [Service.Group: (prefixes: [Prefix], names: [String])] = [:]
            for (pair, ports) in portsOfPrefix {
                byPorts[Service.Group(proto: pair.proto, ports: ports.sorted()), default: ([], [])].prefixes.append(pair.value)
            }
            for (pair, ports) in portsOfName {
                byPorts[Service.Group(proto: pair.proto, ports: ports.sorted()), default: ([], [])].names.append(pair.value)
            }
            var rules: [Policy.AllowRule] = []
            for (group, targets) in byPorts {
                let icmp = group.proto == TransportProtocol.icmp || group.proto == TransportProtocol.icmpv6
                let ports = icmp ? [] : group.ports.map { Policy.PortRange($0) }
                if !targets.prefixes.isEmpty {
                    rules.append(Policy.AllowRule(destinations: targets.prefixes.sorted(), ports: ports, proto: group.proto,
                                                  origin: "learned"))
                }
                if !targets.names.isEmpty {
                    rules.append(Policy.AllowRule(names: targets.names.sorted(), ports: ports, proto: group.proto,
                                                  origin: "learned"))
                }
            }
            result.zones[zone].allow += rules.sorted { $0.description < $1.description }
        }
        return result
    }

    /// A protocol and port.
    struct Service: Hashable {
        let proto: UInt8
        let port: UInt16

        /// A protocol and a set of ports: one learnt rule.
        struct Group: Hashable { let proto: UInt8; let ports: [UInt16] }
    }

    /// A protocol and a destination (prefix or name).
    struct Pair<Value: Hashable>: Hashable { let proto: UInt8; let value: Value }

    /// Collapses addresses into prefixes: internal ones sharing a /24 (/64) into it, external ones only when
    /// ``externalCollapse`` share it.
    static func collapse(_ addresses: [IPAddress], internal isInternal: (IPAddress) -> Bool) -> [Prefix] {
        var groups: [Prefix: [IPAddress]] = [:]
        for address in addresses {
            groups[Prefix(address: address, length: address.isIPv4 ? 120 : 64), default: []].append(address)
        }
        var prefixes: [Prefix] = []
        for (network, members) in groups {
            let needed = isInternal(network.address) ? 2 : externalCollapse
            if members.count >= needed { prefixes.append(network) } else { prefixes += members.map { Prefix(host: $0) } }
        }
        return prefixes.sorted()
    }
}
