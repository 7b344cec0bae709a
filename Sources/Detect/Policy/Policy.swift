public import FlowModel

/// An egress policy: which networks are internal, which zones hold medical devices, what each zone may
/// reach, and the thresholds of the egress and fan-out detectors.
///
/// Read one from YAML with ``PolicyReader``; ``CompiledPolicy`` turns it into the matcher the
/// detectors use.
public struct Policy: Sendable, Hashable {
    /// The hospital's own address space; everything else is external. RFC 1918 plus `fc00::/7` by default.
    public var internalNetworks: [Prefix]
    /// The zones, in file order.
    public var zones: [Zone]
    /// Destinations whose beacon findings are demoted (never hidden).
    public var beaconAllowlist: BeaconAllowlist
    /// Site addresses that MUD `controller` URIs stand for, by URI (e.g. `urn:ietf:params:mud:dns`).
    public var controllers: [String: [Prefix]]
    /// Detector thresholds.
    public var thresholds: Thresholds
    /// Problems that did not stop the policy from loading (e.g. a MUD controller with no address).
    public var warnings: [String]

    /// Creates a policy; every part defaults to the built-in default.
    public init(internalNetworks: [Prefix] = Prefix.privateRanges, zones: [Zone] = [],
                beaconAllowlist: BeaconAllowlist = BeaconAllowlist(), controllers: [String: [Prefix]] = [:],
                thresholds: Thresholds = Thresholds(), warnings: [String] = []) {
        self.internalNetworks = internalNetworks
        self.zones = zones
        self.beaconAllowlist = beaconAllowlist
        self.controllers = controllers
        self.thresholds = thresholds
        self.warnings = warnings
    }

    /// A named group of addresses (a subnet of one device class) and what it may reach.
    public struct Zone: Sendable, Hashable {
        /// The zone's name, used in findings.
        public var name: String
        /// The device class (`pacs`, `modality`, `lab`, `pump`, `monitor`, …), informational.
        public var kind: String?
        /// Whether the zone holds medical devices; egress is checked for medical zones only.
        public var medical: Bool
        /// The zone's addresses.
        public var cidrs: [Prefix]
        /// Allowed destinations: the file's rules, then those imported from ``mud``.
        public var allow: [AllowRule]
        /// The MUD file imported, as written in the policy (resolved against the policy's folder).
        public var mud: String?
        /// The addresses `my-controller` stands for in this zone's MUD file.
        public var myController: [Prefix]

        /// Creates a zone.
        public init(name: String, kind: String? = nil, medical: Bool = false, cidrs: [Prefix] = [],
                    allow: [AllowRule] = [], mud: String? = nil, myController: [Prefix] = []) {
            self.name = name
            self.kind = kind
            self.medical = medical
            self.cidrs = cidrs
            self.allow = allow
            self.mud = mud
            self.myController = myController
        }
    }

    /// One allowed kind of connection from a zone. Every condition given must hold; one left out
    /// matches anything.
    public struct AllowRule: Sendable, Hashable, CustomStringConvertible {
        /// Destination networks; empty means any address (unless ``names`` is given).
        public var destinations: [Prefix]
        /// Destination DNS name patterns (`host.example`, `*.example` = the name and its subdomains),
        /// matched against what the client looked up, per the capture's DNS answers.
        public var names: [String]
        /// Destination port ranges; empty means any port.
        public var ports: [PortRange]
        /// IP protocol number; `nil` means any.
        public var proto: UInt8?
        /// Where the rule came from: `file:line`, or `mud-file#ace-name`.
        public var origin: String

        /// Creates a rule.
        public init(destinations: [Prefix] = [], names: [String] = [], ports: [PortRange] = [],
                    proto: UInt8? = nil, origin: String = "") {
            self.destinations = destinations
            self.names = names
            self.ports = ports
            self.proto = proto
            self.origin = origin
        }

        /// The rule in one line: `dst 10.0.0.0/8 name *.x tcp/443,8000-8080`.
        public var description: String {
            var parts: [String] = []
            if !destinations.isEmpty { parts.append("dst " + destinations.map(\.description).joined(separator: ",")) }
            if !names.isEmpty { parts.append("name " + names.joined(separator: ",")) }
            if destinations.isEmpty && names.isEmpty { parts.append("dst any") }
            let protoText = proto.map(TransportProtocol.name) ?? "any"
            let portText = ports.isEmpty ? "any" : ports.map(\.description).joined(separator: ",")
            parts.append("\(protoText)/\(portText)")
            if !origin.isEmpty { parts.append("(\(origin))") }
            return parts.joined(separator: " ")
        }
    }

    /// An inclusive range of ports.
    public struct PortRange: Sendable, Hashable, CustomStringConvertible {
        /// The first port of the range.
        public var lower: UInt16
        /// The last port of the range (inclusive).
        public var upper: UInt16

        /// Creates `lower...upper`; the two are swapped if given in the wrong order.
        public init(_ lower: UInt16, _ upper: UInt16) {
            self.lower = min(lower, upper)
            self.upper = max(lower, upper)
        }

        /// The range holding one port.
        public init(_ port: UInt16) { self.init(port, port) }

        /// Whether `port` is inside the range.
        @inlinable
        public func contains(_ port: UInt16) -> Bool { port >= lower && port <= upper }

        /// `443` or `8000-8080`.
        public var description: String { lower == upper ? String(lower) : "\(lower)-\(upper)" }
    }

    /// Destinations whose beacons are expected (NTP, update services): beacon findings to them are demoted.
    public struct BeaconAllowlist: Sendable, Hashable {
        /// Networks.
        public var cidrs: [Prefix]
        /// DNS name patterns, as in ``AllowRule/names``.
        public var names: [String]

        /// Creates an allow-list.
        public init(cidrs: [Prefix] = [], names: [String] = []) {
            self.cidrs = cidrs
            self.names = names
        }
    }

    /// Thresholds of the egress and fan-out detectors.
    public struct Thresholds: Sendable, Hashable {
        /// An egress finding is an upload when its bytes out reach this…
        public var uploadBytes: UInt64 = 50_000_000
        /// …and are at least this many times its bytes in.
        public var uploadRatio: Double = 4
        /// A host fans out when it reaches this many distinct internal peers on one service port…
        public var fanoutPeers: Int = 20
        /// …within a window of this many seconds.
        public var fanoutWindowSeconds: Double = 600
        /// The service ports fan-out watches: SMB, NetBIOS, RDP, DICOM, SSH, WinRM.
        public var fanoutPorts: [UInt16] = [445, 139, 3389, 104, 11112, 22, 5985]

        /// Creates the default thresholds.
        public init() {}
    }
}

extension Policy {
    /// Whether `name` (lower case, no trailing dot) matches `pattern`: equal, or for `*.suffix` equal to
    /// `suffix` or ending in `.suffix`. Comparison ignores case.
    ///
    /// - Parameters:
    ///   - name: A DNS name.
    ///   - pattern: A name or a `*.` wildcard pattern.
    public static func name(_ name: String, matches pattern: String) -> Bool {
        let pattern = pattern.lowercased()
        let name = name.lowercased()
        if pattern == "*" { return true }
        if pattern.hasPrefix("*.") {
            let suffix = pattern.dropFirst(2)
            return name == suffix || name.hasSuffix("." + suffix)
        }
        return name == pattern
    }
}
