public import FlowModel
internal import Dispatch
internal import Foundation

/// Finds periodic beaconing in finished flows.
///
/// Feed it every ``FlowModel/FlowBatch`` (``consume(_:)``), or merge detectors that each saw part of an
/// archive (``merge(_:)``), then ask for ``findings(context:)``. The state is per candidate pair
/// (initiator, responder, responder port, protocol): totals in one open-addressing table, and every
/// connection's start, size and answer appended to one log, so a flow costs a probe and an append, with
/// nothing allocated per pair. The log is bounded per pair by ``BeaconConfiguration/connectionCap``
/// (compacted whenever it doubles).
public struct BeaconDetector: Sendable {
    /// The settings.
    public let configuration: BeaconConfiguration
    private var table = BeaconPairTable()
    private var log = ConnectionLog()
    /// The log is never compacted below this many connections (64 MB).
    private let compactionFloor: Int
    /// Log length at which the next compaction runs.
    private var compactAt: Int
    /// The earliest packet time seen, ns.
    public private(set) var datasetStart: Int64 = .max
    /// The latest packet time seen, ns.
    public private(set) var datasetEnd: Int64 = .min
    /// Flows read.
    public private(set) var flowsSeen: UInt64 = 0

    /// Creates an empty detector.
    public init(configuration: BeaconConfiguration = BeaconConfiguration()) {
        self.init(configuration: configuration, compactionFloor: 1 << 22)
    }

    /// Creates an empty detector whose log is compacted from `compactionFloor` connections on (tests use
    /// a small one).
    init(configuration: BeaconConfiguration, compactionFloor: Int) {
        self.configuration = configuration
        self.compactionFloor = compactionFloor
        compactAt = compactionFloor
    }

    /// Connections held in the log (at most twice the cap per pair, or the compaction floor).
    var connectionsHeld: Int { log.count }

    /// How far ahead of the flow being added the slot of a later flow is prefetched.
    static let prefetchDistance = 8

    /// Adds the flows of one batch (link-layer flows are ignored).
    public mutating func consume(_ flows: FlowBatch) {
        let count = flows.count
        guard count > 0 else { return }
        // A block at a time: the keys, hashes and rows of a 400 k-flow flush in one go were 22 MB of fresh
        // memory written and read back; a block's stay in cache. The slot index is sized for the whole
        // batch first, so it grows once rather than doubling again and again.
        table.reserve(table.count &+ count)
        log.reserve(count)
        var keys: [BeaconKey] = []
        var hashes: [UInt64] = []
        var rows: [Int] = []
        keys.reserveCapacity(min(count, Self.blockFlows))
        hashes.reserveCapacity(min(count, Self.blockFlows))
        rows.reserveCapacity(min(count, Self.blockFlows))
        var blockStart = 0
        while blockStart < count {
            let blockEnd = min(count, blockStart &+ Self.blockFlows)
            keys.removeAll(keepingCapacity: true)
            hashes.removeAll(keepingCapacity: true)
            rows.removeAll(keepingCapacity: true)
            for i in blockStart..<blockEnd where flows.flags[i] & FlowRecord.Flags.link.rawValue == 0 {
                let key = BeaconKey(src: IPAddress(high: flows.srcHigh[i], low: flows.srcLow[i]),
                                    dst: IPAddress(high: flows.dstHigh[i], low: flows.dstLow[i]),
                                    dport: flows.dstPort[i], proto: flows.proto[i])
                keys.append(key)
                hashes.append(table.hash(key))
                rows.append(i)
            }
            for k in rows.indices {
                if k &+ Self.prefetchDistance < rows.count { table.prefetch(hash: hashes[k &+ Self.prefetchDistance]) }
                let i = rows[k]
                let index = table.index(of: keys[k], hash: hashes[k])
                let start = flows.firstSeen[i], end = flows.lastSeen[i]
                let bytesOut = flows.bytesOut[i]
                let isContinuation = flows.flags[i] & FlowRecord.Flags.continuation.rawValue != 0
                datasetStart = min(datasetStart, start)
                datasetEnd = max(datasetEnd, end)
                table.update(index) {
                    $0.add(start: start, end: end, bytesOut: bytesOut, bytesIn: flows.bytesIn[i], isContinuation: isContinuation)
                }
                if !isContinuation {
                    log.append(pair: index, start: start, size: UInt32(clamping: bytesOut), unanswered: flows.packetsIn[i] == 0)
                }
            }
            flowsSeen &+= UInt64(rows.count)
            blockStart = blockEnd
        }
        if log.count >= compactAt { compact() }
    }

    /// Flows ``consume(_:)`` keys and hashes at a time.
    static let blockFlows = 4096

    /// Adds everything another detector saw (e.g. the other half of an archive).
    public mutating func merge(_ other: BeaconDetector) {
        var map: [Int] = []
        map.reserveCapacity(other.table.count)
        for entry in other.table.entries {
            let index = table.index(of: entry.key, hash: table.hash(entry.key))
            table.update(index) {
                $0.addTotals(of: entry)
                $0.kept &+= entry.kept
            }
            map.append(index)
        }
        log.append(other.log, mappingPairs: map)
        datasetStart = min(datasetStart, other.datasetStart)
        datasetEnd = max(datasetEnd, other.datasetEnd)
        flowsSeen &+= other.flowsSeen
        if log.count >= compactAt { compact() }
    }

    /// Groups the log by pair and cuts every pair at the cap, so the log holds at most the cap per pair;
    /// the next compaction waits until the log has doubled again.
    private mutating func compact() {
        let grouped = groupedLog()
        log = grouped.log
        for pair in 0..<table.count { table.update(pair) { $0.kept = UInt32(grouped.offsets[pair + 1] - grouped.offsets[pair]) } }
        for pair in grouped.truncated { table.update(pair) { $0.isStrobe = true } }
        compactAt = max(compactionFloor, 2 * log.count)
    }

    /// Every pair's state: totals and kept connections, sorted and cut at the cap (built on demand, for
    /// inspection; scoring builds only the candidates').
    public var pairs: [BeaconKey: BeaconPairState] {
        let grouped = groupedLog()
        var pairs: [BeaconKey: BeaconPairState] = [:]
        for index in table.entries.indices { pairs[table.entries[index].key] = state(of: index, run: index, grouped: grouped) }
        return pairs
    }

    /// The log grouped by pair, each pair's run sorted and cut at the cap.
    private func groupedLog() -> (log: ConnectionLog, offsets: [Int], truncated: Set<Int>) {
        log.grouped(counts: table.entries.map(\.kept), cap: configuration.connectionCap)
    }

    /// Pair `index`'s state from a grouped log, where its connections are run `run` (the pair's own index
    /// when every pair was grouped).
    private func state(of index: Int, run: Int, grouped: (log: ConnectionLog, offsets: [Int], truncated: Set<Int>)) -> BeaconPairState {
        var entry = table.entries[index]
        if grouped.truncated.contains(run) { entry.isStrobe = true }
        return BeaconPairState(entry: entry, connections: grouped.log.run(grouped.offsets[run]..<grouped.offsets[run + 1]))
    }

    /// Distinct sources per destination over every pair seen, for `destinations` (all when `nil`).
    public func prevalenceTable(for destinations: Set<IPAddress>? = nil) -> PrevalenceTable {
        PrevalenceTable(table.entries.lazy.map(\.key), destinations: destinations)
    }

    /// The number of candidate pairs.
    public var pairCount: Int { table.count }

    /// Scores every pair with enough connections and returns the periodic ones, highest score first
    /// (ties by key).
    public func findings(context: BeaconContext = BeaconContext()) -> [BeaconFinding] {
        guard datasetEnd >= datasetStart else { return [] }
        let minimum = UInt64(configuration.minimumConnections)
        // Only the pairs with enough connections are grouped and scored: an archive of millions of
        // one-off pairs copies nothing here.
        let selected = table.entries.indices.filter { table.entries[$0].connections >= minimum }
        guard !selected.isEmpty else { return [] }
        let grouped = log.grouped(selected: selected, counts: selected.map { table.entries[$0].kept },
                                  pairCount: table.count, cap: configuration.connectionCap)
        let candidates = selected.indices.map { run in
            (table.entries[selected[run]].key, state(of: selected[run], run: run, grouped: grouped))
        }
        let prevalence = prevalenceTable(for: Set(candidates.map(\.0.dst)))
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

    /// The finding for one pair (its connections sorted and cut at the cap, as grouped from the log), or
    /// `nil` when it has too few beats or is not periodic.
    func score(key: BeaconKey, state: BeaconPairState, prevalence: PrevalenceTable,
               context: BeaconContext) -> BeaconFinding? {
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
/// Sources are counted through 64-bit fingerprints in a flat open-addressing set (one pass); the
/// (destination, source) pairs of the destinations asked about are sorted, so a destination's sources
/// are one run found by binary search. An archive with millions of pairs and a few candidate
/// destinations costs one probe per pair and a small sort.
public struct PrevalenceTable: Sendable {
    /// (destination, source) address halves, sorted and without repeats.
    private let pairs: [SIMD4<UInt64>]
    private let sourceCount: Int
    /// The destinations the table answers for (`nil`: all).
    private let destinations: Set<IPAddress>?
    /// The number of pairs the table was built from.
    private(set) var pairCount = 0

    init(_ keys: some Sequence<BeaconKey>, destinations: Set<IPAddress>? = nil) {
        var pairs: [SIMD4<UInt64>] = []
        var sources: [UInt64] = []
        for key in keys {
            // A 64-bit fingerprint per source (never 0, the empty mark below): two of millions of sources
            // share one with a chance of about 1 in 10^7, which would change a share by one source.
            sources.append(mix64(key.src.high ^ mix64(key.src.low)) | 1)
            if destinations?.contains(key.dst) ?? true {
                pairs.append(SIMD4(key.dst.high, key.dst.low, key.src.high, key.src.low))
            }
        }
        pairCount = sources.count
        sourceCount = Self.distinctCount(sources)
        pairs.sort { ($0[0], $0[1], $0[2], $0[3]) < ($1[0], $1[1], $1[2], $1[3]) }
        var unique: [SIMD4<UInt64>] = []
        unique.reserveCapacity(pairs.count)
        for pair in pairs where unique.last != pair { unique.append(pair) }
        self.pairs = unique
        self.destinations = destinations
    }

    /// The number of distinct values in `fingerprints` (none 0), by one pass into an open-addressing set.
    static func distinctCount(_ fingerprints: [UInt64]) -> Int {
        var capacity = 16
        while capacity < fingerprints.count * 2 { capacity *= 2 }
        var set = [UInt64](repeating: 0, count: capacity)
        var distinct = 0
        set.withUnsafeMutableBufferPointer { set in
            let mask = capacity - 1
            for value in fingerprints {
                var slot = Int(truncatingIfNeeded: value >> 20) & mask
                while set[slot] != 0 && set[slot] != value { slot = (slot &+ 1) & mask }
                if set[slot] == 0 {
                    set[slot] = value
                    distinct += 1
                }
            }
        }
        return distinct
    }

    /// The share of sources that talk to `destination`.
    public func share(of destination: IPAddress) -> Double {
        precondition(destinations?.contains(destination) ?? true, "prevalence asked for a destination it was not built for")
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
