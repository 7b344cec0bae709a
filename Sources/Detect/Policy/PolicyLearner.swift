public import FlowModel

/// Proposes allow rules from observed traffic: a baseline of what each medical zone talked to, for a
/// hospital to review and adopt as its policy (`medflow policy learn`).
///
/// Every connection a medical zone initiated to an address outside the zone is counted per
/// (zone, destination, port, protocol). ``proposal(names:)`` then writes one rule per group of
/// destinations that share a protocol and port set:
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
            // Group services whose destinations are the same into one rule with several ports.
            var byTarget: [Target: [Service]] = [:]
            for (service, target) in byService {
                let prefixes = Self.collapse(Array(target.addresses), internal: policy.isInternal)
                if !prefixes.isEmpty { byTarget[Target(proto: service.proto, prefixes: prefixes, names: []), default: []].append(service) }
                if !target.names.isEmpty {
                    byTarget[Target(proto: service.proto, prefixes: [], names: target.names.sorted()), default: []].append(service)
                }
            }
            let rules = byTarget.map { target, services -> Policy.AllowRule in
                let icmp = target.proto == TransportProtocol.icmp || target.proto == TransportProtocol.icmpv6
                let ports = icmp ? [] : services.map(\.port).sorted().map { Policy.PortRange($0) }
                return Policy.AllowRule(destinations: target.prefixes, names: target.names, ports: ports, proto: target.proto,
                                        origin: "learned")
            }
            result.zones[zone].allow += rules.sorted { $0.description < $1.description }
        }
        return result
    }

    /// A protocol and port.
    struct Service: Hashable { let proto: UInt8; let port: UInt16 }
    /// A rule's destinations.
    struct Target: Hashable { let proto: UInt8; let prefixes: [Prefix]; let names: [String] }

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
