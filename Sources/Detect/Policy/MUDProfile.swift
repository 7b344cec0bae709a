public import FlowModel

/// The parts of an RFC 8520 MUD file an egress allow-list needs: the access-control entries of the
/// device's `from-device-policy` (what the device may initiate), as ``MUDReader`` read them.
public struct MUDProfile: Sendable, Hashable {
    /// The file the profile was read from.
    public var path: String
    /// The `mud-url` of the file.
    public var mudURL: String?
    /// The from-device entries with `forwarding: accept`, in file order.
    public var entries: [Entry]

    /// One accepting access-control entry.
    public struct Entry: Sendable, Hashable {
        /// The ACE's name.
        public var name: String
        /// `destination-ipv4-network` / `destination-ipv6-network`.
        public var destinations: [Prefix] = []
        /// `ietf-acldns:dst-dnsname`.
        public var dnsNames: [String] = []
        /// The IPv4 `protocol` / IPv6 `next-header`, or implied by a `tcp`/`udp` match.
        public var proto: UInt8?
        /// Destination port ranges of the `tcp`/`udp` match; empty is any.
        public var ports: [Policy.PortRange] = []
        /// `ietf-mud:mud` `local-networks`.
        public var localNetworks = false
        /// `ietf-mud:mud` `controller` URI.
        public var controller: String?
        /// `ietf-mud:mud` `my-controller`.
        public var myController = false
        /// `manufacturer`, `same-manufacturer` or `model`: classes a flow engine cannot bind to addresses.
        public var unresolvableClass: String?

        /// Creates an entry named `name` that matches anything.
        public init(name: String) { self.name = name }
    }

    /// The allow rules the entries stand for, and warnings for those that could not be bound.
    ///
    /// `local-networks` becomes `localNetworks`; `controller` URIs are looked up in `controllers`;
    /// `my-controller` uses `myController`, else `controllers[mudURL]`. An entry whose class has no
    /// addresses is left out with a warning (allowing it to any address would hide egress).
    ///
    /// - Parameters:
    ///   - controllers: Site addresses by controller URI (the policy's `controllers`).
    ///   - myController: The zone's `my_controller` addresses.
    ///   - localNetworks: The policy's internal networks.
    public func allowRules(controllers: [String: [Prefix]], myController: [Prefix],
                           localNetworks: [Prefix]) -> (rules: [Policy.AllowRule], warnings: [String]) {
        var rules: [Policy.AllowRule] = []
        var warnings: [String] = []
        for entry in entries {
            if let unresolvable = entry.unresolvableClass {
                warnings.append("\(path): ACE '\(entry.name)' matches '\(unresolvable)', which has no addresses here; left out")
                continue
            }
            var destinations = entry.destinations
            var bound = true
            if entry.localNetworks { destinations += localNetworks }
            if let controller = entry.controller {
                if let addresses = controllers[controller] { destinations += addresses } else {
                    warnings.append("\(path): ACE '\(entry.name)': controller '\(controller)' has no addresses in `controllers`; left out")
                    bound = false
                }
            }
            if entry.myController {
                let addresses = myController.isEmpty ? (mudURL.flatMap { controllers[$0] } ?? []) : myController
                if addresses.isEmpty {
                    warnings.append("\(path): ACE '\(entry.name)': my-controller has no addresses (set the zone's my_controller); left out")
                    bound = false
                } else {
                    destinations += addresses
                }
            }
            guard bound else { continue }
            rules.append(Policy.AllowRule(destinations: destinations, names: entry.dnsNames, ports: entry.ports,
                                          proto: entry.proto, origin: "\(path)#\(entry.name)"))
        }
        return (rules, warnings)
    }
}
