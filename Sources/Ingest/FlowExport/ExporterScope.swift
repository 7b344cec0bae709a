public import FlowModel

/// Who exported a datagram: the exporter's address and its v9 source id / IPFIX observation domain.
/// Templates, samplers and boot times are scoped by this (as nfcapd does, the UDP port is not part of it).
public struct ExporterScope: Hashable, Sendable {
    /// The exporter's address (the UDP source; `::` for datagram files that do not say).
    public var address: IPAddress
    /// The v9 source id or IPFIX observation domain id.
    public var domain: UInt32
    /// The protocol version (9 or 10): a v9 and an IPFIX exporter on one address do not share templates.
    public var version: UInt16

    /// Creates a scope.
    public init(address: IPAddress, domain: UInt32, version: UInt16) {
        self.address = address
        self.domain = domain
        self.version = version
    }
}

/// The key of one template: its exporter scope and id.
struct TemplateKey: Hashable, Sendable {
    var scope: ExporterScope
    var id: UInt16
}

/// What the data records of one datagram need besides their template: the header's times.
struct ExportContext: Sendable {
    /// The exporter scope.
    var scope: ExporterScope
    /// The header's export time, ms since the epoch.
    var exportMs: Int64
    /// v9: the header's sysUptime (ms since the exporter booted); `nil` for IPFIX.
    var sysUptime: UInt32?
}
