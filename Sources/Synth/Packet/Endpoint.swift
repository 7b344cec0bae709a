public import FlowModel

/// One host as frames see it: its IP address, MAC address, 802.1Q VLAN and IP TTL.
public struct Host: Sendable, Hashable {
    /// The IP address (IPv4-mapped for IPv4).
    public var ip: IPAddress
    /// The MAC address in the low 48 bits; the gateway's for hosts outside the hospital.
    public var mac: UInt64
    /// The VLAN its frames carry, 0 for untagged.
    public var vlan: UInt16
    /// The TTL of its IP packets as seen at the capture point.
    public var ttl: UInt8

    /// Creates a host.
    public init(ip: IPAddress, mac: UInt64, vlan: UInt16 = 0, ttl: UInt8 = 64) {
        self.ip = ip
        self.mac = mac
        self.vlan = vlan
        self.ttl = ttl
    }

    /// The locally administered MAC medflow gives an internal address: `02:4d:` and the address's last 4 bytes.
    public static func mac(for ip: IPAddress) -> UInt64 { 0x024D_0000_0000 | (ip.low & 0xFFFF_FFFF) }

    /// The MAC of the hospital's Internet gateway (a VRRP virtual MAC).
    public static let gatewayMAC: UInt64 = 0x0000_5E00_0101
}
