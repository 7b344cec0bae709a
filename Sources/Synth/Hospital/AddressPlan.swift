import FlowModel

/// A zone of the synthetic hospital: a subnet, whether its hosts are medical devices, its VLAN.
public struct Zone: Sendable, Hashable {
    /// Policy name (`pacs`, `modality`, …).
    public var name: String
    /// Whether the policy treats it as a medical zone.
    public var medical: Bool
    /// The IPv4 subnet, as CIDR text.
    public var cidr: String
    /// The IPv6 subnet (workstations only), as CIDR text.
    public var cidr6: String?
    /// The 802.1Q VLAN the zone uses with `--vlan zones`.
    public var vlan: UInt16
}

/// The hospital's addresses: zones, named servers and devices, and the Internet hosts they meet.
///
/// Internal space is RFC 1918 (`10.0.0.0/8`) and ULA (`fd4d:6564::/32`), which medflow treats as
/// internal by default; Internet hosts live in public ranges and `2001:db8::/32`.
struct AddressPlan {
    static let servers = Zone(name: "servers", medical: false, cidr: "10.10.0.0/24", vlan: 10)
    static let workstations = Zone(name: "workstations", medical: false, cidr: "10.20.0.0/16",
                                   cidr6: "fd4d:6564:20::/64", vlan: 20)
    static let pacs = Zone(name: "pacs", medical: true, cidr: "10.50.1.0/24", vlan: 51)
    static let modality = Zone(name: "modality", medical: true, cidr: "10.50.2.0/24", vlan: 52)
    static let lab = Zone(name: "lab", medical: true, cidr: "10.50.3.0/24", vlan: 53)
    static let pump = Zone(name: "pump", medical: true, cidr: "10.50.4.0/24", vlan: 54)
    static let monitor = Zone(name: "monitor", medical: true, cidr: "10.50.5.0/24", vlan: 55)
    static let zones = [servers, workstations, pacs, modality, lab, pump, monitor]

    /// How frames are tagged.
    let vlanMode: VLANMode

    init(vlanMode: VLANMode) { self.vlanMode = vlanMode }

    /// An internal IPv4 host `a.b.c.d` of `zone`.
    func host(_ text: String, zone: Zone) -> Host {
        let ip = IPAddress(text)!
        return Host(ip: ip, mac: Host.mac(for: ip), vlan: vlan(for: zone), ttl: 64)
    }

    /// The IPv6 address of workstation number `index`.
    func workstation6(_ index: Int) -> Host {
        let ip = IPAddress("fd4d:6564:20::\(String(index + 0x10, radix: 16))")!
        return Host(ip: ip, mac: Host.mac(for: IPAddress(v4: 0x0A14_0100 + UInt32(index + 10))),
                    vlan: vlan(for: Self.workstations), ttl: 64)
    }

    /// An Internet host as seen at the capture point (behind the gateway, TTL already decremented).
    func external(_ text: String) -> Host {
        Host(ip: IPAddress(text)!, mac: Host.gatewayMAC, vlan: 0, ttl: 52)
    }

    private func vlan(for zone: Zone) -> UInt16 {
        switch vlanMode {
        case .none: 0
        case .single(let id): id
        case .perZone: zone.vlan
        }
    }

    // MARK: Named hosts

    var dns: Host { host("10.10.0.53", zone: Self.servers) }
    var ntp: Host { host("10.10.0.123", zone: Self.servers) }
    var domainController: Host { host("10.10.0.10", zone: Self.servers) }
    var hl7Engine: Host { host("10.10.0.20", zone: Self.servers) }
    var pumpServer: Host { host("10.10.0.30", zone: Self.servers) }
    var centralStation: Host { host("10.10.0.40", zone: Self.servers) }
    var archive: Host { host("10.50.1.10", zone: Self.pacs) }
    var pacsViewerServer: Host { host("10.50.1.11", zone: Self.pacs) }

    /// Imaging modalities: AE title, kind, and images per study / bytes per image.
    struct Modality {
        var host: Host
        var aeTitle: String
        var studiesPerHour: Double
        var images: ClosedRange<Int>
        var imageBytes: Int
    }

    var modalities: [Modality] {
        [
            Modality(host: host("10.50.2.20", zone: Self.modality), aeTitle: "CT_EMERG", studiesPerHour: 1.5,
                     images: 20...60, imageBytes: 526_000),
            Modality(host: host("10.50.2.21", zone: Self.modality), aeTitle: "CT_MAIN", studiesPerHour: 1.2,
                     images: 20...60, imageBytes: 526_000),
            Modality(host: host("10.50.2.22", zone: Self.modality), aeTitle: "MR_3T", studiesPerHour: 0.8,
                     images: 40...120, imageBytes: 132_000),
            Modality(host: host("10.50.2.23", zone: Self.modality), aeTitle: "XR_ROOM1", studiesPerHour: 3,
                     images: 2...4, imageBytes: 1_800_000),
            Modality(host: host("10.50.2.24", zone: Self.modality), aeTitle: "XR_ROOM2", studiesPerHour: 2.5,
                     images: 2...4, imageBytes: 1_800_000),
            Modality(host: host("10.50.2.25", zone: Self.modality), aeTitle: "US_WARD", studiesPerHour: 2,
                     images: 10...30, imageBytes: 310_000),
        ]
    }

    /// Lab analysers (chemistry, blood gas, haematology).
    var labAnalysers: [Host] { (20...23).map { host("10.50.3.\($0)", zone: Self.lab) } }
    /// Infusion pumps.
    var pumps: [Host] { (20..<40).map { host("10.50.4.\($0)", zone: Self.pump) } }
    /// Bedside monitors.
    var monitors: [Host] { (20..<32).map { host("10.50.5.\($0)", zone: Self.monitor) } }

    /// The IPv4 address of workstation number `index`.
    func workstation(_ index: Int) -> Host { host("10.20.1.\(index + 10)", zone: Self.workstations) }
}

/// How frames carry 802.1Q tags.
public enum VLANMode: Sendable, Hashable {
    /// Untagged.
    case none
    /// Every frame tagged with one VLAN.
    case single(UInt16)
    /// Each zone its own VLAN (servers 10, workstations 20, pacs 51, modality 52, lab 53, pump 54, monitor 55).
    case perZone
}
