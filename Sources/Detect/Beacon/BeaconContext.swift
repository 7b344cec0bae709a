public import FlowModel

/// What the beacon detector knows about the network when it rates a finding: which addresses are
/// internal, which zone a source is in, and which destinations are allow-listed (known NTP, update and
/// vendor-heartbeat services, demoted but still reported). The policy file is bridged into this by the
/// caller; the default knows only RFC 1918 / RFC 4193 space.
public struct BeaconContext: Sendable {
    /// Whether an address belongs to the monitored network.
    public var isInternal: @Sendable (IPAddress) -> Bool
    /// The zone of a source address and whether it is a medical zone, or `nil` outside every zone.
    public var sourceZone: @Sendable (IPAddress) -> (name: String, medical: Bool)?
    /// Whether a destination (with the DNS names it was seen under) is on the beacon allow-list.
    public var isAllowlisted: @Sendable (IPAddress, [String]) -> Bool
    /// The DNS names an address was seen under in the capture's DNS answers.
    public var namesOf: @Sendable (IPAddress) -> [String]

    /// Creates a context.
    public init(isInternal: @escaping @Sendable (IPAddress) -> Bool = BeaconContext.isPrivate,
                sourceZone: @escaping @Sendable (IPAddress) -> (name: String, medical: Bool)? = { _ in nil },
                isAllowlisted: @escaping @Sendable (IPAddress, [String]) -> Bool = { _, _ in false },
                namesOf: @escaping @Sendable (IPAddress) -> [String] = { _ in [] }) {
        self.isInternal = isInternal
        self.sourceZone = sourceZone
        self.isAllowlisted = isAllowlisted
        self.namesOf = namesOf
    }

    /// RFC 1918, loopback, link-local and RFC 4193 (`fc00::/7`) addresses, plus IPv6 loopback and link-local.
    public static let isPrivate: @Sendable (IPAddress) -> Bool = { address in
        if address.isIPv4 {
            let v4 = address.v4
            return v4 >> 24 == 10 || v4 >> 20 == 0xAC1 || v4 >> 16 == 0xC0A8 || v4 >> 24 == 127 || v4 >> 16 == 0xA9FE
        }
        let top = address.high >> 56
        return top & 0xFE == 0xFC || address.high >> 54 == 0x3FA || (address.high == 0 && address.low == 1)
    }
}
