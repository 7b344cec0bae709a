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
        consume(flows, range: range, share: 0, of: 1)
    }

    /// Takes the flows of `flows` whose connection falls in share `share` of `shares` (a hash of the
    /// connection key): detectors that each took one share of every batch hold disjoint connections, so
    /// their findings together, merged in order (``mergedFindings(_:_:)``), are those of one detector given
    /// everything, and no dictionary has to be merged into another. Every flow counts in ``flowsSeen`` of
    /// share 0's detector.
    public mutating func consume(_ flows: FlowBatch, share: Int, of shares: Int) {
        consume(flows, range: 0..<flows.count, share: share, of: shares)
    }

    /// Takes every flow of `flows`: share 0 of two (``consume(_:share:of:)``) here, share 1 into `other`, in
    /// one pass over the batch.
    public mutating func consume(_ flows: FlowBatch, sharingWith other: inout EgressDetector) {
        for i in 0..<flows.count {
            flowsSeen &+= 1
            guard let connection = Self.connection(flows, i) else { continue }
            if connection.share(of: 2) == 0 { add(connection, flows, i) } else { other.add(connection, flows, i) }
        }
    }

    private mutating func consume(_ flows: FlowBatch, range: Range<Int>, share: Int, of shares: Int) {
        let shareCount = UInt64(max(1, shares)), ownShare = UInt64(share)
        for i in range.clamped(to: 0..<flows.count) {
            if ownShare == 0 { flowsSeen &+= 1 }
            guard let connection = Self.connection(flows, i),
                  shareCount == 1 || connection.share(of: shareCount) == ownShare else { continue }
            add(connection, flows, i)
        }
    }

    /// Flow `i` as its connection (``Orientation``) and the bytes each way; `nil` for a link-layer flow.
    @inline(__always)
    private static func connection(_ flows: FlowBatch, _ i: Int) -> OrientedFlow? {
        if FlowRecord.Flags(rawValue: flows.flags[i]).contains(.link) { return nil }
        let (src, dst, dport, bytesOut, bytesIn) = Orientation.oriented(flows, i)
        return OrientedFlow(src: src, dst: dst, dport: dport, proto: flows.proto[i], bytesOut: bytesOut, bytesIn: bytesIn)
    }

    /// A flow's connection and its bytes each way.
    private struct OrientedFlow {
        let src: IPAddress, dst: IPAddress
        let dport: UInt16, proto: UInt8
        let bytesOut: UInt64, bytesIn: UInt64

        @inline(__always)
        func share(of shares: UInt64) -> UInt64 {
            ConnectionKey.share(src: src, dst: dst, dport: dport, proto: proto, of: shares)
        }
    }

    /// Adds flow `i` of `flows` (whose connection is `c`) to its connection's totals when the policy does not
    /// allow it outright.
    @inline(__always)
    private mutating func add(_ c: OrientedFlow, _ flows: FlowBatch, _ i: Int) {
        guard let (zone, reason) = classify(src: c.src, dst: c.dst, dport: c.dport, proto: c.proto) else { return }
        let key = ConnectionKey(src: c.src, dst: c.dst, dport: c.dport, proto: c.proto)
        let continuation = FlowRecord.Flags(rawValue: flows.flags[i]).contains(.continuation)
        let upload = Self.isUpload(out: c.bytesOut, in: c.bytesIn, policy.policy.thresholds)
        let first = flows.firstSeen[i], last = flows.lastSeen[i]
        let (bytesOut, bytesIn) = (c.bytesOut, c.bytesIn)
        Self.update(&aggregates[key, default: Aggregate(zone: zone, reason: reason)]) { aggregate in
            if !continuation { aggregate.flows &+= 1 }
            aggregate.bytesOut &+= bytesOut
            aggregate.bytesIn &+= bytesIn
            aggregate.firstSeen = min(aggregate.firstSeen, first)
            aggregate.lastSeen = max(aggregate.lastSeen, last)
            if upload { aggregate.largeUploadFlow = true }
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
        let keys = findings.map(SortKey.init)
        return findings.indices.sorted { keys[$0] < keys[$1] }.map { findings[$0] }
    }

    /// Two lists of findings in output order (``finish(names:beacons:)``), of detectors that took disjoint
    /// shares (``consume(_:share:of:)``), as one list in output order.
    public static func mergedFindings(_ a: [EgressFinding], _ b: [EgressFinding]) -> [EgressFinding] {
        var merged: [EgressFinding] = []
        merged.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        var keyA = a.first.map(SortKey.init), keyB = b.first.map(SortKey.init)
        while let ka = keyA, let kb = keyB {
            if kb < ka {
                merged.append(b[j]); j += 1; keyB = j < b.count ? SortKey(b[j]) : nil
            } else {
                merged.append(a[i]); i += 1; keyA = i < a.count ? SortKey(a[i]) : nil
            }
        }
        merged.append(contentsOf: a[i...])
        merged.append(contentsOf: b[j...])
        return merged
    }

    /// The output order: most severe, then most bytes out, then by key.
    private struct SortKey: Comparable {
        let rank: UInt8
        let bytes: UInt64
        let src: IPAddress
        let dst: IPAddress
        let port: UInt32

        init(_ finding: EgressFinding) {
            rank = UInt8(Severity.critical.rawValue - finding.severity.rawValue)
            bytes = ~finding.bytesOut
            src = finding.key.src
            dst = finding.key.dst
            port = UInt32(finding.key.dport) << 8 | UInt32(finding.key.proto)
        }

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
