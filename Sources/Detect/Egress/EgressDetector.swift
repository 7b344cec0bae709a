public import FlowModel

/// Finds connections that break a ``Policy``: from a medical zone to anything its allow rules do not
/// cover, and sessions started from outside the internal networks into a medical zone.
///
/// Flows are aggregated per (src, dst, dport, proto) as they arrive; rules that need DNS names are
/// decided in ``finish(names:beacons:)`` with the complete name table, so the order in which flows
/// and DNS answers arrive does not matter. Two detectors fed halves of the input merge into one
/// that gives the findings of the whole (``merge(_:)``).
///
/// Decision for a flow from `src` to `dst`:
/// 1. link-layer flows are ignored; a TCP flow whose handshake was not captured is read from its
///    well-known-port side (see ``Orientation``);
/// 2. `src` in a medical zone, `dst` outside that zone and not multicast, broadcast or link-local,
///    and no rule of the zone allowing it: a finding,
///    reason `external-not-allowed` when `dst` is not internal, else `internal-not-allowed`;
/// 3. otherwise, `src` not internal and `dst` in a medical zone: `inbound-from-external`.
public struct EgressDetector: Sendable {
    /// The compiled policy.
    public let policy: CompiledPolicy
    /// Running totals per key.
    private var aggregates: [ConnectionKey: Aggregate] = [:]
    /// Flows looked at.
    public private(set) var flowsSeen: UInt64 = 0

    /// Per-key totals.
    struct Aggregate: Sendable {
        var zone: Int
        var reason: EgressReason
        var flows: UInt64 = 0
        var bytesOut: UInt64 = 0
        var bytesIn: UInt64 = 0
        var firstSeen: Int64 = .max
        var lastSeen: Int64 = .min
        var largeUploadFlow = false

        mutating func merge(_ other: Aggregate) {
            flows &+= other.flows
            bytesOut &+= other.bytesOut
            bytesIn &+= other.bytesIn
            firstSeen = min(firstSeen, other.firstSeen)
            lastSeen = max(lastSeen, other.lastSeen)
            largeUploadFlow = largeUploadFlow || other.largeUploadFlow
        }
    }

    /// Creates a detector for `policy`.
    public init(policy: CompiledPolicy) {
        self.policy = policy
    }

    /// Takes finished flows.
    public mutating func consume(_ flows: FlowBatch) { consume(flows, range: 0..<flows.count) }

    /// Takes the flows of `range` of a batch: two detectors given two ranges of one batch and then
    /// ``merge(_:)``d hold what one detector given the whole batch holds.
    public mutating func consume(_ flows: FlowBatch, range: Range<Int>) {
        let thresholds = policy.policy.thresholds
        for i in range.clamped(to: 0..<flows.count) {
            flowsSeen &+= 1
            if FlowRecord.Flags(rawValue: flows.flags[i]).contains(.link) { continue }
            let (src, dst, dport, bytesOut, bytesIn) = Orientation.oriented(flows, i)
            let proto = flows.proto[i]
            guard let (zone, reason) = classify(src: src, dst: dst, dport: dport, proto: proto) else { continue }
            let key = ConnectionKey(src: src, dst: dst, dport: dport, proto: proto)
            let continuation = FlowRecord.Flags(rawValue: flows.flags[i]).contains(.continuation)
            let upload = Self.isUpload(out: bytesOut, in: bytesIn, thresholds)
            let first = flows.firstSeen[i], last = flows.lastSeen[i]
            Self.update(&aggregates[key, default: Aggregate(zone: zone, reason: reason)]) { aggregate in
                if !continuation { aggregate.flows &+= 1 }
                aggregate.bytesOut &+= bytesOut
                aggregate.bytesIn &+= bytesIn
                aggregate.firstSeen = min(aggregate.firstSeen, first)
                aggregate.lastSeen = max(aggregate.lastSeen, last)
                if upload { aggregate.largeUploadFlow = true }
            }
        }
    }

    /// Applies `change` to a dictionary value in place (one hash lookup).
    @inline(__always)
    private static func update(_ aggregate: inout Aggregate, _ change: (inout Aggregate) -> Void) {
        change(&aggregate)
    }

    /// The zone and reason a connection would be reported with before DNS names are known, or `nil`
    /// when the address rules already allow it or it does not concern a medical zone.
    func classify(src: IPAddress, dst: IPAddress, dport: UInt16, proto: UInt8) -> (Int, EgressReason)? {
        if let zone = policy.zoneIndex(of: src), policy.zones[zone].medical {
            if policy.zoneIndex(of: dst) == zone || policy.isLocalScope(dst) { return nil }
            if policy.allows(zone: zone, dst: dst, dport: dport, proto: proto) { return nil }
            return (zone, policy.isInternal(dst) ? .internalNotAllowed : .externalNotAllowed)
        }
        if !policy.isInternal(src), let zone = policy.zoneIndex(of: dst), policy.zones[zone].medical {
            return (zone, .inboundFromExternal)
        }
        return nil
    }

    /// Adds the state of a detector that saw other flows under the same policy.
    public mutating func merge(_ other: EgressDetector) {
        flowsSeen &+= other.flowsSeen
        aggregates.reserveCapacity(aggregates.count + other.aggregates.count)  // one resize, not one per doubling
        for (key, aggregate) in other.aggregates {
            if var mine = aggregates[key] {
                mine.merge(aggregate)
                aggregates[key] = mine
            } else {
                aggregates[key] = aggregate
            }
        }
    }

    /// The findings, most severe first (then by bytes out, then by key).
    ///
    /// - Parameters:
    ///   - names: DNS names learnt from the captures; name rules are decided and `dns_name` filled from it.
    ///   - beacons: Keys the beacon detector reported, if it ran: those findings get `beacon: true`
    ///     and a higher severity.
    public func finish(names: DNSNameTable = DNSNameTable(), beacons: Set<ConnectionKey>? = nil) -> [EgressFinding] {
        let thresholds = policy.policy.thresholds
        var findings: [EgressFinding] = []
        findings.reserveCapacity(aggregates.count)
        for (key, aggregate) in aggregates {
            let dnsNames = aggregate.reason == .inboundFromExternal ? [] : names.names(client: key.src, address: key.dst)
            if aggregate.reason != .inboundFromExternal, !dnsNames.isEmpty,
               policy.allows(zone: aggregate.zone, dst: key.dst, dport: key.dport, proto: key.proto, names: dnsNames) {
                continue
            }
            let upload = aggregate.reason != .inboundFromExternal
                && (aggregate.largeUploadFlow || Self.isUpload(out: aggregate.bytesOut, in: aggregate.bytesIn, thresholds))
            let beacon = beacons?.contains(key) ?? false
            findings.append(EgressFinding(
                key: key, zone: policy.zones[aggregate.zone].name, reason: aggregate.reason, flows: aggregate.flows,
                bytesOut: aggregate.bytesOut, bytesIn: aggregate.bytesIn, firstSeen: aggregate.firstSeen,
                lastSeen: aggregate.lastSeen, dnsName: dnsNames.first, upload: upload, beacon: beacon,
                severity: Self.severity(reason: aggregate.reason, dport: key.dport, upload: upload, beacon: beacon)))
        }
        // Sort indices by a flat key: moving findings (with their strings) during the sort costs more.
        let keys = findings.map { finding in
            SortKey(rank: UInt8(Severity.critical.rawValue - finding.severity.rawValue), bytes: ~finding.bytesOut,
                    src: finding.key.src, dst: finding.key.dst, port: UInt32(finding.key.dport) << 8 | UInt32(finding.key.proto))
        }
        return findings.indices.sorted { keys[$0] < keys[$1] }.map { findings[$0] }
    }

    /// The output order: most severe, then most bytes out, then by key.
    private struct SortKey: Comparable {
        let rank: UInt8
        let bytes: UInt64
        let src: IPAddress
        let dst: IPAddress
        let port: UInt32

        static func < (lhs: SortKey, rhs: SortKey) -> Bool {
            if lhs.rank != rhs.rank { return lhs.rank < rhs.rank }
            if lhs.bytes != rhs.bytes { return lhs.bytes < rhs.bytes }
            if lhs.src != rhs.src { return lhs.src < rhs.src }
            if lhs.dst != rhs.dst { return lhs.dst < rhs.dst }
            return lhs.port < rhs.port
        }
    }

    /// Whether `out` bytes against `in` bytes make an upload under `thresholds`.
    static func isUpload(out: UInt64, in bytesIn: UInt64, _ thresholds: Policy.Thresholds) -> Bool {
        out >= thresholds.uploadBytes && Double(out) >= thresholds.uploadRatio * Double(bytesIn)
    }

    /// The severity of a finding.
    ///
    /// External destinations start at high, inbound sessions from outside at medium, internal ones at
    /// low; a legacy remote-access or lateral-movement port, an upload, and a beacon each raise it one
    /// step; a medical protocol (DICOM, HL7, NFS) leaving the hospital is always critical.
    public static func severity(reason: EgressReason, dport: UInt16, upload: Bool, beacon: Bool) -> Severity {
        if reason == .externalNotAllowed, SensitivePorts.medical.contains(dport) { return .critical }
        var level: Int
        switch reason {
        case .externalNotAllowed: level = Severity.high.rawValue
        case .inboundFromExternal: level = Severity.medium.rawValue
        case .internalNotAllowed: level = Severity.low.rawValue
        }
        if SensitivePorts.legacy.contains(dport) || SensitivePorts.medical.contains(dport) { level += 1 }
        if upload { level += 1 }
        if beacon { level += 1 }
        return Severity(rawValue: min(level, Severity.critical.rawValue)) ?? .critical
    }
}
