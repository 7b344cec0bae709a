public import FlowModel
internal import Dispatch
internal import Foundation

/// Finds periodic beaconing in finished flows.
///
/// Feed it every ``FlowModel/FlowBatch`` (``consume(_:)``), or merge detectors that each saw part of an
/// archive (``merge(_:)``), then ask for ``findings(context:)``. The state is per candidate pair
/// (initiator, responder, responder port, protocol) and bounded per pair by
/// ``BeaconConfiguration/connectionCap``.
public struct BeaconDetector: Sendable {
    /// The settings.
    public let configuration: BeaconConfiguration
    /// Per-pair state.
    public private(set) var pairs: [BeaconKey: BeaconPairState] = [:]
    /// The earliest packet time seen, ns.
    public private(set) var datasetStart: Int64 = .max
    /// The latest packet time seen, ns.
    public private(set) var datasetEnd: Int64 = .min
    /// Flows read.
    public private(set) var flowsSeen: UInt64 = 0

    /// Creates an empty detector.
    public init(configuration: BeaconConfiguration = BeaconConfiguration()) {
        self.configuration = configuration
    }

    /// Adds the flows of one batch (link-layer flows are ignored).
    public mutating func consume(_ flows: FlowBatch) {
        let cap = configuration.connectionCap
        for i in 0..<flows.count {
            let flags = FlowRecord.Flags(rawValue: flows.flags[i])
            guard !flags.contains(.link) else { continue }
            let key = BeaconKey(src: IPAddress(high: flows.srcHigh[i], low: flows.srcLow[i]),
                                dst: IPAddress(high: flows.dstHigh[i], low: flows.dstLow[i]),
                                dport: flows.dstPort[i], proto: flows.proto[i])
            let start = flows.firstSeen[i], end = flows.lastSeen[i]
            datasetStart = min(datasetStart, start)
            datasetEnd = max(datasetEnd, end)
            flowsSeen &+= 1
            pairs[key, default: BeaconPairState()].add(
                start: start, end: end, bytesOut: flows.bytesOut[i], bytesIn: flows.bytesIn[i],
                answered: flows.packetsIn[i] > 0, isContinuation: flags.contains(.continuation), cap: cap)
        }
    }

    /// Adds everything another detector saw (e.g. the other half of an archive).
    public mutating func merge(_ other: BeaconDetector) {
        let cap = configuration.connectionCap
        for (key, state) in other.pairs { pairs[key, default: BeaconPairState()].merge(state, cap: cap) }
        datasetStart = min(datasetStart, other.datasetStart)
        datasetEnd = max(datasetEnd, other.datasetEnd)
        flowsSeen &+= other.flowsSeen
    }

    /// Distinct sources per destination over every pair seen.
    public func prevalenceTable() -> PrevalenceTable { PrevalenceTable(pairs.keys) }

    /// The number of candidate pairs.
    public var pairCount: Int { pairs.count }

    /// Scores every pair with enough connections and returns the periodic ones, highest score first
    /// (ties by key).
    public func findings(context: BeaconContext = BeaconContext()) -> [BeaconFinding] {
        guard datasetEnd >= datasetStart else { return [] }
        let prevalence = prevalenceTable()
        let minimum = configuration.minimumConnections
        let candidates = pairs.filter { $0.value.connections >= UInt64(minimum) }.map { ($0.key, $0.value) }
        // Pairs are independent: score them in chunks on every core, each chunk into its own slot.
        let chunks = max(1, min(candidates.count / 64, ProcessInfo.processInfo.activeProcessorCount * 4))
        let slots = UnsafeMutableBufferPointer<[BeaconFinding]>.allocate(capacity: chunks)
        slots.initialize(repeating: [])
        defer { slots.deinitialize(); slots.deallocate() }
        nonisolated(unsafe) let output = slots  // invariant: chunk i writes output[i] only
        let detector = self
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var found: [BeaconFinding] = []
            for index in stride(from: chunk, to: candidates.count, by: chunks) {
                let (key, pair) = candidates[index]
                if let finding = detector.score(key: key, state: pair, prevalence: prevalence, context: context) {
                    found.append(finding)
                }
            }
            output[chunk] = found
        }
        return BeaconDetector.sortedFindings(slots.flatMap { $0 })
    }

    /// The finding for one pair, or `nil` when it has too few beats or is not periodic.
    func score(key: BeaconKey, state: BeaconPairState, prevalence: PrevalenceTable,
               context: BeaconContext) -> BeaconFinding? {
        var state = state
        state.normalise(cap: configuration.connectionCap)
        let beats = state.beatTimes(retryWindow: configuration.retryWindow)
        guard beats.seconds.count >= configuration.minimumConnections else { return nil }
        let totals = BeaconTotals(connections: state.connections, firstSeen: state.firstSeen, lastSeen: state.lastSeen,
                                  bytesOut: state.bytesOut, bytesIn: state.bytesIn, isStrobe: state.isStrobe)
        if let threshold = configuration.ritaOnlyThreshold {
            guard let rita = ritaScore(beats.wholeSeconds, sizes: beats.sizes), rita.score >= threshold else { return nil }
            return finding(key: key, kind: .flow, beats: beats.seconds.count, totals: totals,
                           periodicity: Self.medianInterval(beats.seconds), rita: rita,
                           prevalence: prevalence.share(of: key.dst), context: context, score: rita.score)
        }
        let result = Periodicity.test(times: beats.seconds, configuration: configuration.periodicity)
        guard result.isPeriodic else { return nil }
        let rita = ritaScore(beats.wholeSeconds, sizes: beats.sizes)
        return finding(key: key, kind: .flow, beats: beats.seconds.count, totals: totals, periodicity: result,
                       rita: rita, prevalence: prevalence.share(of: key.dst), context: context)
    }

    /// What RITA-only scoring reports as the period: the median interval (RITA's skew and MAD centre on
    /// it), with the jitter as 2 × mean |d/median − 1|; no periodicity test ran.
    static func medianInterval(_ times: [Double]) -> Periodicity.Result {
        let intervals = zip(times.dropFirst(), times).map { $0 - $1 }.sorted()
        var result = Periodicity.Result.none(intervals: intervals.count)
        guard !intervals.isEmpty else { return result }
        let median = intervals[intervals.count / 2]
        result.period = median
        if median > 0 {
            result.jitter = 2 * intervals.reduce(0) { $0 + abs($1 / median - 1) } / Double(intervals.count)
        }
        return result
    }

    /// RITA's score over the last ``BeaconConfiguration/ritaWindow`` of the data, as RITA v5 would see it.
    func ritaScore(_ wholeSeconds: [Int64], sizes: [Double]) -> RITAScore? {
        let end = datasetEnd / 1_000_000_000
        let start = max(datasetStart / 1_000_000_000, end - configuration.ritaWindow / 1_000_000_000)
        guard let first = wholeSeconds.firstIndex(where: { $0 >= start }) else { return nil }
        return RITAScore(timestamps: Array(wholeSeconds[first...]), sizes: Array(sizes[first...]),
                         datasetStart: start, datasetEnd: end)
    }

    /// Builds a finding with its score and severity.
    ///
    /// - Parameters:
    ///   - key: The pair.
    ///   - kind: Flow starts or intra-flow bursts.
    ///   - beats: The beats tested.
    ///   - totals: Counts, bytes and times of the pair.
    ///   - periodicity: The test's outcome.
    ///   - rita: RITA's score, if any.
    ///   - prevalence: Share of all sources that talk to the destination.
    ///   - context: What the network looks like.
    ///   - score: The score to report instead of the combined one (RITA-only scoring).
    public func finding(key: BeaconKey, kind: BeaconFinding.Kind, beats: Int, totals: BeaconTotals,
                        periodicity: Periodicity.Result, rita: RITAScore?, prevalence: Double,
                        context: BeaconContext, score: Double? = nil) -> BeaconFinding {
        let score = score ?? RITAScore.round3(periodicity.strength * (0.8 + 0.2 * (rita?.score ?? 0)))
        let zone = context.sourceZone(key.src)
        let names = context.namesOf(key.dst)
        var finding = BeaconFinding(
            key: key, kind: kind, connections: beats, connectionsTotal: totals.connections, periodicity: periodicity,
            rita: rita, score: score, firstSeen: totals.firstSeen, lastSeen: totals.lastSeen, bytesOut: totals.bytesOut,
            bytesIn: totals.bytesIn, isStrobe: totals.isStrobe, isExternal: !context.isInternal(key.dst),
            zone: zone?.name, isMedicalZone: zone?.medical ?? false, prevalence: prevalence,
            allowlisted: context.isAllowlisted(key.dst, names), dnsNames: names, severity: .info)
        finding.severity = severity(of: finding)
        return finding
    }

    /// Whether the pair appeared well after the data began (a beacon that starts mid-capture).
    func isNew(_ finding: BeaconFinding) -> Bool {
        guard datasetEnd >= datasetStart else { return false }
        let span = datasetEnd - datasetStart
        return span >= 3_600_000_000_000 && finding.firstSeen - datasetStart >= span / 10
    }

    /// Points for the score (0–2), an external destination, a medical source zone, a rare destination and a
    /// pair new in the data, minus one for a destination most sources use; allow-listed pairs are `info`.
    func severity(of finding: BeaconFinding) -> BeaconFinding.Severity {
        guard !finding.allowlisted else { return .info }
        var points = finding.score >= 0.8 ? 2 : finding.score >= 0.6 ? 1 : 0
        if finding.isExternal { points += 1 }
        if finding.isMedicalZone { points += 1 }
        if finding.prevalence <= configuration.rarePrevalence { points += 1 }
        if finding.prevalence >= configuration.commonPrevalence { points -= 1 }
        if isNew(finding) { points += 1 }
        switch points {
        case 5...: return .critical
        case 4: return .high
        case 3: return .medium
        case 1...2: return .low
        default: return .info
        }
    }

    /// Findings by score, highest first, ties by kind then key.
    public static func sortedFindings(_ findings: [BeaconFinding]) -> [BeaconFinding] {
        findings.sorted {
            if $0.score != $1.score { return $0.score > $1.score }
            if $0.key != $1.key { return $0.key < $1.key }
            return $0.kind.rawValue < $1.kind.rawValue
        }
    }
}

/// How many distinct sources talk to each destination, as a share of all sources.
///
/// Built by sorting rather than hashing: every (destination, source) pair once, sorted, so a
/// destination's sources are one run found by binary search. Hundreds of thousands of pairs sort in tens
/// of milliseconds, where sets of them cost a hash per pair and repeated resizing.
public struct PrevalenceTable: Sendable {
    /// (destination, source) address halves, sorted and without repeats.
    private let pairs: [SIMD4<UInt64>]
    private let sourceCount: Int
    /// The number of pairs the table was built from.
    private(set) var pairCount = 0

    init(_ keys: some Sequence<BeaconKey>) {
        var pairs: [SIMD4<UInt64>] = []
        var sources: [IPAddress] = []
        var count = 0
        for key in keys {
            count += 1
            sources.append(key.src)
            pairs.append(SIMD4(key.dst.high, key.dst.low, key.src.high, key.src.low))
        }
        pairCount = count
        sources.sort()
        sourceCount = sources.indices.reduce(0) { $0 + ($1 == 0 || sources[$1] != sources[$1 - 1] ? 1 : 0) }
        pairs.sort { ($0[0], $0[1], $0[2], $0[3]) < ($1[0], $1[1], $1[2], $1[3]) }
        var unique: [SIMD4<UInt64>] = []
        unique.reserveCapacity(pairs.count)
        for pair in pairs where unique.last != pair { unique.append(pair) }
        self.pairs = unique
    }

    /// The share of sources that talk to `destination`.
    public func share(of destination: IPAddress) -> Double {
        guard sourceCount > 0 else { return 0 }
        let key = (destination.high, destination.low)
        var low = 0, high = pairs.count
        while low < high {  // first pair whose destination is not below `destination`
            let mid = (low + high) / 2
            if (pairs[mid][0], pairs[mid][1]) < key { low = mid + 1 } else { high = mid }
        }
        var end = low
        while end < pairs.count && (pairs[end][0], pairs[end][1]) == key { end += 1 }
        return Double(end - low) / Double(sourceCount)
    }
}

/// Counts, bytes and times of a pair, for its finding.
public struct BeaconTotals: Sendable, Hashable {
    /// Connections (or packets, intra-flow) seen in total.
    public var connections: UInt64
    /// First packet, ns.
    public var firstSeen: Int64
    /// Last packet, ns.
    public var lastSeen: Int64
    /// Initiator bytes.
    public var bytesOut: UInt64
    /// Responder bytes.
    public var bytesIn: UInt64
    /// Whether a cap dropped beats.
    public var isStrobe: Bool

    /// Creates totals.
    public init(connections: UInt64, firstSeen: Int64, lastSeen: Int64, bytesOut: UInt64, bytesIn: UInt64, isStrobe: Bool) {
        self.connections = connections
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.bytesOut = bytesOut
        self.bytesIn = bytesIn
        self.isStrobe = isStrobe
    }
}
