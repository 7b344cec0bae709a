public import FlowModel
internal import Dispatch

/// Turns batches of packets into flows with one ``FlowTable`` per shard, the shards updated concurrently.
///
/// A packet's shard comes from the hash of its unordered address pair, so both directions and every
/// fragment of a datagram meet in one shard, and each shard sees its packets in capture order. Shard `i`
/// is touched only by the worker running shard `i`: no locks on the hot path.
public final class FlowAssembler {
    private let tables: [FlowTable]
    /// The flow configuration in force.
    public let configuration: FlowConfiguration

    /// Creates an assembler.
    ///
    /// - Parameters:
    ///   - configuration: Timeouts.
    ///   - shards: The number of independent tables (and concurrent workers), 1–255.
    public init(configuration: FlowConfiguration = FlowConfiguration(), shards: Int = 1) {
        precondition((1...255).contains(shards), "shards must be 1...255")
        self.configuration = configuration
        // Each shard gets its share of the limit (a packet's shard is a hash, so shares fill evenly).
        let perShard = configuration.maximumFlows == 0 ? 0 : max(1, (configuration.maximumFlows + shards - 1) / shards)
        tables = (0..<shards).map { _ in FlowTable(configuration: configuration, maximumFlows: perShard) }
    }

    /// The number of shards.
    public var shardCount: Int { tables.count }

    /// Whether the flows ``add(_:shardIndices:)`` and ``finish()`` return are ordered by first-seen time
    /// (a sort and a gather of every column); else they come shard after shard, each shard's in the order
    /// they ended. Set it before the first batch.
    public var ordersByFirstSeen = true

    /// Flows ended early (reason `evicted`) because the table was full.
    public var evictedFlows: UInt64 { tables.reduce(0) { $0 + $1.evictedCount } }

    /// The number of flows currently open.
    public var openFlows: Int { tables.reduce(0) { $0 + $1.liveCount } }

    /// The shard of every packet of `batch`. Pure: decoding workers call it concurrently.
    public func shardIndices(for batch: PacketBatch) -> [UInt8] {
        let shards = UInt64(tables.count)
        if shards == 1 { return [UInt8](repeating: 0, count: batch.count) }
        var result = [UInt8](repeating: 0, count: batch.count)
        for i in 0..<batch.count {
            let h = FlowHash.pair(batch.srcHigh[i], batch.srcLow[i], batch.dstHigh[i], batch.dstLow[i])
            result[i] = UInt8(truncatingIfNeeded: (h >> 32) &* shards >> 32)  // scaled, not divided: no DIV per packet
        }
        return result
    }

    /// Adds `batches` (in capture order) and returns the flows that ended meanwhile, by first-seen time
    /// (see ``ordersByFirstSeen``).
    ///
    /// - Parameters:
    ///   - batches: Decoded packets, in order.
    ///   - shardIndices: ``shardIndices(for:)`` of each batch.
    public func add(_ batches: [PacketBatch], shardIndices: [[UInt8]]) -> FlowBatch {
        precondition(batches.count == shardIndices.count)
        nonisolated(unsafe) let tables = self.tables  // invariant: worker `shard` touches tables[shard] only
        // Packets are in capture order within each batch, so the step's clock is the latest of them all.
        let stepEnd = batches.reduce(Int64.min) { max($0, $1.timestamp.max() ?? .min) }
        let run: @Sendable (Int) -> Void = { shard in
            for (batch, shards) in zip(batches, shardIndices) {
                tables[shard].add(batch, shardOf: shards, shard: UInt8(shard))
            }
            tables[shard].advance(to: stepEnd)
        }
        if tables.count == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: tables.count, execute: run) }
        return drain()
    }

    /// Ends every open flow (the input is over) and returns them.
    public func finish() -> FlowBatch {
        // Every flow still open ends here at once (on a short capture, all of them): the shards export theirs
        // side by side.
        nonisolated(unsafe) let tables = self.tables  // invariant: worker `shard` touches tables[shard] only
        if tables.count == 1 {
            tables[0].finish()
        } else {
            DispatchQueue.concurrentPerform(iterations: tables.count) { tables[$0].finish() }
        }
        return drain()
    }

    /// Takes the burst starts the shards noted since the last call (with ``FlowConfiguration/burstGap``
    /// set): each shard's in packet order, the shards one after another. Only ``add(_:shardIndices:)``
    /// notes them; ``finish()`` ends flows without new packets, so none are left after it.
    public func takeBurstStarts() -> [BurstStart] {
        var result: [BurstStart] = []
        result.reserveCapacity(tables.reduce(0) { $0 + $1.burstStarts.count })
        for table in tables where !table.burstStarts.isEmpty {
            result += table.burstStarts
            table.burstStarts.removeAll(keepingCapacity: true)
        }
        return result
    }

    private func drain() -> FlowBatch {
        var parts: [FlowBatch] = []
        for table in tables where !table.finished.isEmpty {
            parts.append(table.finished)
            table.finished = FlowBatch()
        }
        if parts.isEmpty { return FlowBatch() }
        if !ordersByFirstSeen {
            guard parts.count > 1 else { return parts[0] }
            var all = FlowBatch()
            all.reserveCapacity(parts.reduce(0) { $0 + $1.count })
            for part in parts { all.append(contentsOf: part) }
            return all
        }
        return tables.count == 1 && parts[0].count < 2 ? parts[0] : FlowBatch.sortedByFirstSeen(parts)
    }
}
