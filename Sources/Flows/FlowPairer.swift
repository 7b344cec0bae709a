public import FlowModel

/// How ``FlowPairer`` matches the two directions of a connection.
public struct FlowPairingConfiguration: Sendable, Hashable {
    /// Two records overlap when each starts no later than this many ns after the other ends (exporters
    /// round times to seconds, v9 headers carry whole seconds).
    public var toleranceNs: Int64
    /// A record waits for its reverse until the latest end time seen is this many ns past its own end.
    public var holdNs: Int64
    /// Most records waiting at once; the oldest leave unpaired beyond it.
    public var maximumPending: Int

    /// Creates a configuration; defaults: 2 s tolerance, 10 min hold, one million waiting records.
    public init(toleranceNs: Int64 = 2_000_000_000, holdNs: Int64 = 600_000_000_000, maximumPending: Int = 1 << 20) {
        self.toleranceNs = toleranceNs
        self.holdNs = holdNs
        self.maximumPending = maximumPending
    }
}

/// Pairs unidirectional flow records (NetFlow, IPFIX, nfdump) into bidirectional flows.
///
/// A record A→B is merged with a waiting record B→A of the same protocol and ports whose time span
/// overlaps it (within ``FlowPairingConfiguration/toleranceNs``). The initiator is the side that started
/// first; on a tie, the side sending to the lower port (the service). The merged flow keeps the
/// initiator's counts in the `Out` columns and the responder's in the `In` columns, the union of the
/// times, and the later record's end reason. Records that already carry both directions pass through.
/// A second record of the same direction while one waits sends the waiting one on unpaired.
///
/// The records are split into shards by a hash of their connection (both directions alike), and the
/// shards pair their records side by side, each in its own table (``PairingShard``). The flows come out in
/// the order the single-shard pairer gives, whatever the shard count: each record's flow (its merged flow,
/// itself passing through, or the same-direction record it replaced) at that record's place in the batch,
/// then the records a sweep sent on, in arrival order.
///
/// Memory is bounded: a sweep, each time the latest end time seen has moved an eighth of
/// ``FlowPairingConfiguration/holdNs``, sends on the records whose end lies more than `holdNs` before it;
/// a shard holding more than its share of ``FlowPairingConfiguration/maximumPending`` waiting records sends
/// its older half on at once.
public final class FlowPairer {
    /// The configuration in use.
    public let configuration: FlowPairingConfiguration
    private let shards: [PairingShard]
    private var watermark = Int64.min
    private var lastSweep = Int64.min
    /// The number the next batch's first record gets (records are numbered across batches).
    private var arrivals: UInt64 = 0

    /// Creates a pairer with `shards` independent tables (1–255), paired concurrently.
    public init(configuration: FlowPairingConfiguration = FlowPairingConfiguration(), shards: Int = 1) {
        precondition((1...255).contains(shards), "shards must be 1...255")
        self.configuration = configuration
        self.shards = (0..<shards).map { _ in PairingShard() }
    }

    /// Flows made of two records.
    public var paired: UInt64 { shards.reduce(0) { $0 &+ $1.paired } }
    /// Records emitted without a reverse record.
    public var unpaired: UInt64 { shards.reduce(0) { $0 &+ $1.unpaired } }
    /// Records still waiting for their reverse.
    public var pendingCount: Int { shards.reduce(0) { $0 + $1.count } }

    /// Takes a batch of records; returns the flows that are complete (paired, or waited long enough).
    public func add(_ batch: FlowBatch) -> FlowBatch {
        guard !batch.isEmpty else { return FlowBatch() }
        // The sweep below looks at the latest end time after the whole batch, so it can be found first.
        for last in batch.lastSeen where last > watermark { watermark = last }
        let n = batch.count, shardCount = shards.count
        let hashes = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: n)
        let shardOf = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: n)
        let kept = UnsafeMutableBufferPointer<Bool>.allocate(capacity: n)
        kept.initialize(repeating: false)
        defer { hashes.deallocate(); shardOf.deallocate(); kept.deallocate() }
        // invariant: the tasks below write disjoint positions
        nonisolated(unsafe) let hashOutput = hashes, shardOutput = shardOf, keptOutput = kept
        // Connection hashes (0 for a record holding both directions: it passes through) and shards, in pieces
        // side by side.
        let pieces = shardCount == 1 || n < 4096 ? 1 : shardCount
        forEachSideBySide(pieces) { piece in
            for i in (n * piece / pieces)..<(n * (piece + 1) / pieces) {
                let hash = batch.packetsIn[i] != 0 || batch.bytesIn[i] != 0 ? 0 : PairingShard.hash(batch, i)
                hashOutput[i] = hash
                shardOutput[i] = PairingShard.shard(of: hash, among: shardCount)
            }
        }
        // Each record leaves at most one flow, at its own position: the shards write side by side.
        nonisolated(unsafe) let out = FlowBatchBuilder(capacity: n)  // invariant: disjoint positions per shard
        nonisolated(unsafe) let shards = self.shards  // invariant: worker `shard` touches shards[shard] only
        let base = arrivals, tolerance = configuration.toleranceNs
        forEachSideBySide(shardCount) { shard in
            shards[shard].add(batch, hashes: UnsafeBufferPointer(hashOutput), shardOf: UnsafeBufferPointer(shardOutput),
                              shard: UInt8(shard), arrivalBase: base, tolerance: tolerance, into: out, kept: keptOutput)
        }
        arrivals &+= UInt64(n)
        var flows = out.build(keeping: UnsafeBufferPointer(kept))
        let hold = configuration.holdNs
        let share = max(1, configuration.maximumPending / shardCount)
        if shards.contains(where: { $0.count > share }) {
            flows.append(contentsOf: sweepOlderHalf(share: share))
        } else if watermark > lastSweep &+ hold / 8 {
            lastSweep = watermark
            flows.append(contentsOf: sweep(before: watermark &- hold))
        }
        return flows
    }

    /// Emits every waiting record (end of input), in arrival order.
    public func finish() -> FlowBatch {
        return sweep(before: .max)
    }

    /// Flow batches merged by their rising `keys` (ties: the earlier part first).
    private static func interleave(_ parts: [(flows: FlowBatch, keys: [Int])]) -> FlowBatch {
        let nonEmpty = parts.filter { !$0.flows.isEmpty }
        if nonEmpty.count <= 1 { return nonEmpty.first?.flows ?? FlowBatch() }
        return FlowBatch.interleaved(nonEmpty.map(\.flows), keys: nonEmpty.map(\.keys))
    }

    /// Sends on, from every shard, the waiting records that ended before `limit`, in arrival order.
    private func sweep(before limit: Int64) -> FlowBatch {
        let parts = shards.map { $0.sweep(before: limit) }
        return Self.interleaveArrivals(parts)
    }

    /// Sends on the older half (by end time) of the waiting records of each shard over its `share`.
    private func sweepOlderHalf(share: Int) -> FlowBatch {
        let parts = shards.map { shard -> (records: FlowBatch, arrivals: [UInt64]) in
            guard shard.count > share else { return (FlowBatch(), []) }
            var ends = shard.waitingEnds()
            ends.sort()
            return shard.sweep(before: ends[ends.count / 2] &+ 1)
        }
        return Self.interleaveArrivals(parts)
    }

    private static func interleaveArrivals(_ parts: [(records: FlowBatch, arrivals: [UInt64])]) -> FlowBatch {
        interleave(parts.map { ($0.records, $0.arrivals.map { Int(truncatingIfNeeded: $0) }) })
    }
}
