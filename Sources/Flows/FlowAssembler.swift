public import FlowModel
internal import Dispatch

/// Turns batches of packets into flows with one ``FlowTable`` per shard, the shards updated concurrently.
///
/// A packet's shard comes from the hash of its unordered address pair, so both directions and every
/// fragment of a datagram meet in one shard, and each shard sees its packets in capture order. Shard `i`
/// is touched only by its own thread (``ShardThread``): no locks on the hot path. Steps go in with
/// ``submit(_:shardIndices:)`` and come out, in order, with ``collect(_:)``; ``add(_:shardIndices:)`` does
/// both at once.
public final class FlowAssembler {
    private let tables: [FlowTable]
    /// One thread per shard (none with one shard): ``submit(_:shardIndices:)`` runs shard i's part of each
    /// step on thread i.
    private let workers: [ShardThread]
    /// Burst starts of steps ``add(_:shardIndices:)`` collected, for ``takeBurstStarts()``.
    private var takenStarts: [BurstStart] = []
    /// The flow configuration in force.
    public let configuration: FlowConfiguration

    /// Creates an assembler.
    ///
    /// - Parameters:
    ///   - configuration: Timeouts.
    ///   - shards: The number of independent tables (and concurrent workers), 1–255.
    ///   - threads: Whether each shard works on a thread of its own (``submit(_:shardIndices:)`` returns at
    ///     once); without, the caller's thread does the work in ``submit(_:shardIndices:)``. Default: with
    ///     more than one shard.
    public init(configuration: FlowConfiguration = FlowConfiguration(), shards: Int = 1, threads: Bool? = nil) {
        precondition((1...255).contains(shards), "shards must be 1...255")
        self.configuration = configuration
        // Each shard gets its share of the limit (a packet's shard is a hash, so shares fill evenly).
        let perShard = configuration.maximumFlows == 0 ? 0 : max(1, (configuration.maximumFlows + shards - 1) / shards)
        tables = (0..<shards).map { _ in FlowTable(configuration: configuration, maximumFlows: perShard) }
        workers = threads ?? (shards > 1) ? (0..<shards).map { ShardThread(name: "medflow.flows.shard-\($0)") } : []
    }

    deinit {
        for worker in workers { worker.stop() }
    }

    /// The number of shards.
    public var shardCount: Int { tables.count }

    /// Whether the flows ``collect(_:)``, ``add(_:shardIndices:)`` and ``finish()`` return are ordered by first-seen time
    /// (a sort and a gather of every column); else they come shard after shard, each shard's in the order
    /// they ended. Set it before the first batch.
    public var ordersByFirstSeen = true

    /// Flows ended early (reason `evicted`) because the table was full.
    public var evictedFlows: UInt64 {
        settle()
        return tables.reduce(0) { $0 + $1.evictedCount }
    }

    /// The number of flows currently open.
    public var openFlows: Int {
        settle()
        return tables.reduce(0) { $0 + $1.liveCount }
    }

    /// What the flow stage needs of each packet before it touches a table, worked out where the packet was
    /// decoded (on a decoding task) rather than on a shard's thread: its shard, its flow key's hash and
    /// whether its source is the key's first endpoint. Fragments get no hash here (a later fragment's
    /// ports come from its shard's memory of the first): their shard works it out.
    public struct PacketKeys: Sendable {
        /// Each packet's shard (``FlowAssembler/shardIndices(for:)``).
        public var shards: [UInt8]
        /// Each packet's key hash (``FlowHash/key(_:_:_:_:_:_:_:)``), 0 for fragments.
        var hashes: [UInt64]
        /// Whether each packet's source is its key's endpoint A.
        var srcFirst: [Bool]
        /// The earliest packet time of the batch (`.max` for none, or when not worked out).
        public var earliest: Int64 = .max
        /// The latest packet time of the batch (`.min` for none, or when not worked out).
        public var latest: Int64 = .min

        /// No packets.
        public init() { self.init(shards: [], hashes: [], srcFirst: []) }

        init(shards: [UInt8], hashes: [UInt64], srcFirst: [Bool]) {
            self.shards = shards
            self.hashes = hashes
            self.srcFirst = srcFirst
        }
    }

    /// ``PacketKeys`` of every packet of `batch`, with its time range (so the pipeline and ``submit(_:keys:)``
    /// need no more passes over the timestamps). Pure: decoding workers call it concurrently.
    public func keys(for batch: PacketBatch) -> PacketKeys {
        // One pass over the columns for all four results: the address columns are read once, and the
        // outputs are written without being zeroed first.
        let count = batch.count
        // No arrays made with room for 0: they share the standard library's empty storage, whose count
        // each such initialiser writes (a data race between decoding tasks).
        guard count > 0 else { return PacketKeys() }
        let shardCount = UInt64(tables.count)
        var earliest = Int64.max, latest = Int64.min
        var hashes = [UInt64](), srcFirst = [Bool](), shards = [UInt8]()
        shards = [UInt8](unsafeUninitializedCapacity: count) { shards, shardsWritten in
            srcFirst = [Bool](unsafeUninitializedCapacity: count) { srcFirst, srcFirstWritten in
                hashes = [UInt64](unsafeUninitializedCapacity: count) { hashes, hashesWritten in
                    batch.withUnsafeColumns { columns in
                        for i in 0..<count {
                            let time = columns.timestamp[i]
                            earliest = min(earliest, time)
                            latest = max(latest, time)
                            let srcHigh = columns.srcHigh[i], srcLow = columns.srcLow[i]
                            let dstHigh = columns.dstHigh[i], dstLow = columns.dstLow[i]
                            // One shard (two workers: the other decodes) needs no pair hash.
                            shards[i] = shardCount > 1 ? Self.shard(srcHigh, srcLow, dstHigh, dstLow, of: shardCount) : 0
                            if PacketBatch.Flags(rawValue: columns.flags[i]).contains(.fragment) {
                                hashes[i] = 0
                                srcFirst[i] = false
                                continue
                            }
                            let key = CanonicalKey(srcHigh, srcLow, dstHigh, dstLow, columns.srcPort[i], columns.dstPort[i],
                                                   columns.keyProtocol(i))
                            hashes[i] = key.hash
                            srcFirst[i] = key.srcFirst
                        }
                    }
                    hashesWritten = count
                }
                srcFirstWritten = count
            }
            shardsWritten = count
        }
        var keys = PacketKeys(shards: shards, hashes: hashes, srcFirst: srcFirst)
        keys.earliest = earliest
        keys.latest = latest
        return keys
    }

    /// ``PacketKeys`` of `batch` from the hashes and orientations its decoding loop worked out (`hashed`,
    /// for every packet); only the shards are worked out here, and with one shard not even those. Without
    /// `hashed` (or when it does not cover the batch) as ``keys(for:)``. Pure: decoding workers call it
    /// concurrently.
    public func keys(for batch: PacketBatch, hashed: PacketKeyHashes?) -> PacketKeys {
        guard let hashed, hashed.hashes.count == batch.count, hashed.srcFirst.count == batch.count else {
            return keys(for: batch)
        }
        var keys = PacketKeys(shards: shardIndices(for: batch), hashes: hashed.hashes, srcFirst: hashed.srcFirst)
        keys.earliest = hashed.earliest
        keys.latest = hashed.latest
        return keys
    }

    /// The shard of every packet of `batch`. Pure: decoding workers call it concurrently.
    public func shardIndices(for batch: PacketBatch) -> [UInt8] {
        let shards = UInt64(tables.count)
        if shards == 1 { return [UInt8](repeating: 0, count: batch.count) }
        var result = [UInt8](repeating: 0, count: batch.count)
        for i in 0..<batch.count {
            result[i] = Self.shard(batch.srcHigh[i], batch.srcLow[i], batch.dstHigh[i], batch.dstLow[i], of: shards)
        }
        return result
    }

    /// The shard, among `shards`, of a packet between these addresses (either direction).
    @inline(__always)
    private static func shard(_ srcHigh: UInt64, _ srcLow: UInt64, _ dstHigh: UInt64, _ dstLow: UInt64,
                              of shards: UInt64) -> UInt8 {
        let h = FlowHash.pair(srcHigh, srcLow, dstHigh, dstLow)
        return UInt8(truncatingIfNeeded: ((h >> 32) &* shards) >> 32)  // scaled, not divided: no DIV per packet
    }

    /// Adds `batches` (in capture order) and returns the flows that ended meanwhile, by first-seen time
    /// (see ``ordersByFirstSeen``); their burst starts wait for ``takeBurstStarts()``.
    ///
    /// - Parameters:
    ///   - batches: Decoded packets, in order.
    ///   - shardIndices: ``shardIndices(for:)`` of each batch.
    public func add(_ batches: [PacketBatch], shardIndices: [[UInt8]]) -> FlowBatch {
        let step = collect(submit(batches, shardIndices: shardIndices))
        takenStarts += step.burstStarts
        return step.flows
    }

    /// One step of packets handed to the shards by ``submit(_:shardIndices:)``, until ``collect(_:)``.
    public final class Step: @unchecked Sendable {
        // @unchecked: shard i writes flows[i] and starts[i] before leaving `group`; they are read after it.
        fileprivate let group = DispatchGroup()
        fileprivate let flows: UnsafeMutableBufferPointer<FlowBatch>
        fileprivate let starts: UnsafeMutableBufferPointer<[BurstStart]>

        fileprivate init(shards: Int) {
            flows = .allocate(capacity: shards)
            flows.initialize(repeating: FlowBatch())
            starts = .allocate(capacity: shards)
            starts.initialize(repeating: [])
        }

        deinit {
            flows.deinitialize(); flows.deallocate()
            starts.deinitialize(); starts.deallocate()
        }
    }

    /// Hands `batches` (in capture order, after every batch submitted before) to the shards and returns
    /// at once: each shard works through its steps on its own thread, so a shard that finishes a
    /// step early goes on with the next one instead of waiting at a barrier for the other. Collect every
    /// step, in order, with ``collect(_:)``; ``finish()`` and the counts wait for the steps submitted.
    public func submit(_ batches: [PacketBatch], shardIndices: [[UInt8]]) -> Step {
        submit(batches, keys: shardIndices.map { PacketKeys(shards: $0, hashes: [], srcFirst: []) })
    }

    /// As ``submit(_:shardIndices:)``, with each batch's ``keys(for:)`` worked out already.
    public func submit(_ batches: [PacketBatch], keys: [PacketKeys]) -> Step {
        precondition(batches.count == keys.count)
        // The step's clock is the latest packet time of them all (from the keys where they hold it).
        let stepEnd = zip(batches, keys).reduce(Int64.min) { end, step in
            max(end, step.1.latest > .min ? step.1.latest : step.0.timestamp.max() ?? .min)
        }
        let step = Step(shards: tables.count)
        nonisolated(unsafe) let tables = self.tables  // invariant: shard i's thread touches tables[i] only
        let sole = tables.count == 1
        for shard in tables.indices {
            let work: @Sendable () -> Void = {
                let table = tables[shard]
                for (batch, keys) in zip(batches, keys) { table.add(batch, keys: keys, shard: UInt8(shard), sole: sole) }
                table.advance(to: stepEnd)
                step.flows[shard] = table.finished
                table.finished = FlowBatch()
                step.starts[shard] = table.burstStarts
                table.burstStarts.removeAll(keepingCapacity: true)
            }
            if workers.isEmpty { work() } else { workers[shard].async(group: step.group, work) }
        }
        return step
    }

    /// Waits for `step` and returns the flows that ended in it (ordered as ``ordersByFirstSeen`` says) and
    /// its burst starts (each shard's in packet order, the shards one after another).
    public func collect(_ step: Step) -> (flows: FlowBatch, burstStarts: [BurstStart]) {
        step.group.wait()
        if step.starts.count == 1 { return (merged(Array(step.flows)), step.starts[0]) }  // nothing to join
        var starts: [BurstStart] = []
        starts.reserveCapacity(step.starts.reduce(0) { $0 + $1.count })
        for part in step.starts { starts += part }
        return (merged(Array(step.flows)), starts)
    }

    /// Waits until the shards have worked through every step submitted.
    private func settle() {
        for worker in workers { worker.settle() }
    }

    /// Ends every open flow (the input is over) and returns them.
    ///
    /// - Parameter parallelism: How many tasks may export side by side (the shards, and pieces of each).
    public func finish(parallelism: Int = 1) -> FlowBatch {
        settle()
        // Every flow still open ends here at once (on a short capture, all of them): the shards export theirs
        // side by side, each in pieces when there are fewer shards than tasks.
        nonisolated(unsafe) let tables = self.tables  // invariant: worker `shard` touches tables[shard] only
        let pieces = max(1, parallelism / tables.count)
        if tables.count == 1 {
            tables[0].finish(pieces: pieces)
        } else {
            DispatchQueue.concurrentPerform(iterations: tables.count) { tables[$0].finish(pieces: pieces) }
        }
        return drain()
    }

    /// Ends every open flow as ``finish(parallelism:)`` does, handing them to `deliver` a block of at most
    /// `blockSlots` table slots at a time, each block exported after the one before was delivered, so the
    /// memory of one serves the next: on a short capture every flow ends here, and one batch of them all
    /// (38 MB on the 10 M-packet bulk capture) was fresh memory on the run's tail, where a fresh page is
    /// a host-side fault on some VMs. Flows ordered by first-seen time (``ordersByFirstSeen``) come in one
    /// block, sorted.
    public func finish<Failure: Error>(parallelism: Int, blockSlots: Int,
                                       deliver: (FlowBatch) throws(Failure) -> Void) throws(Failure) {
        guard !ordersByFirstSeen else { return try deliver(finish(parallelism: parallelism)) }
        settle()
        for table in tables {
            var start = 0
            while start < table.slots.capacity {
                let end = min(table.slots.capacity, start + max(1, blockSlots))
                table.finish(slots: start..<end, pieces: parallelism)
                table.releaseExported(slots: start..<end)
                start = end
                let block = drain()
                if !block.isEmpty { try deliver(block) }
            }
            table.fragments.removeAll()
        }
    }

    /// Takes the burst starts of the steps ``add(_:shardIndices:)`` added since the last call (with
    /// ``FlowConfiguration/burstGap`` set): per step, each shard's in packet order, the shards one after
    /// another. ``finish()`` ends flows without new packets, so none are left after it.
    public func takeBurstStarts() -> [BurstStart] {
        defer { takenStarts = [] }
        return takenStarts
    }

    private func drain() -> FlowBatch {
        let parts = tables.map(\.finished)
        for table in tables { table.finished = FlowBatch() }
        return merged(parts)
    }

    /// The shards' flows as one batch: by first-seen time, or one shard after another.
    private func merged(_ shardFlows: [FlowBatch]) -> FlowBatch {
        let parts = shardFlows.filter { !$0.isEmpty }
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
