import CPrefetch
import FlowModel

/// How a ``FlowTable`` takes a batch of packets: its shard's packets gathered with their key hashes
/// (or, for the only shard with hashes from the decoder, read straight from the batch), then the table
/// updated packet by packet while the slots of packets a few ahead are prefetched.
extension FlowTable {
    /// A packet of the current batch that belongs to this shard.
    struct PendingPacket {
        /// The packet's index in the batch, with ``srcFirstBit`` set when its source is the key's endpoint A.
        var indexAndOrientation: UInt32
        var srcPort: UInt16, dstPort: UInt16
        var hash: UInt64

        static let srcFirstBit: UInt32 = 1 << 31
        var index: Int { Int(indexAndOrientation & ~Self.srcFirstBit) }

        /// Packet `index` of the batch, whose source is the key's endpoint A when `srcFirst`.
        @inline(__always)
        init(index: Int, srcFirst: Bool, srcPort: UInt16, dstPort: UInt16, hash: UInt64) {
            indexAndOrientation = UInt32(truncatingIfNeeded: index) | (srcFirst ? Self.srcFirstBit : 0)
            self.srcPort = srcPort
            self.dstPort = dstPort
            self.hash = hash
        }
        var srcFirst: Bool { indexAndOrientation & Self.srcFirstBit != 0 }
    }

    /// Adds the packets of `batch` whose shard is `shard`, in order; `keys` may carry their hashes and
    /// orientations already (``FlowAssembler/keys(for:)``), else they are worked out here. With `sole` (this
    /// is the only shard: every packet is its own) and the hashes known, the packets go to the table
    /// straight from the batch and its keys, without the first pass's copy.
    func add(_ batch: PacketBatch, keys: FlowAssembler.PacketKeys, shard: UInt8, sole: Bool = false) {
        batch.withUnsafeColumns { columns in
            keys.shards.withUnsafeBufferPointer { shardOf in
                keys.hashes.withUnsafeBufferPointer { hashes in
                    keys.srcFirst.withUnsafeBufferPointer { srcFirst in
                        let known = hashes.count == columns.count
                        precondition(shardOf.count == columns.count && (!known || srcFirst.count == columns.count),
                                     "keys of another batch")
                        if sole && known {
                            applyDirect(columns, hashes: hashes, srcFirst: srcFirst)
                            return
                        }
                        let count = gather(columns, shardOf: shardOf, hashes: known ? hashes : nil, srcFirst: srcFirst,
                                           shard: shard)
                        applyPending(columns, count: count)
                    }
                }
            }
        }
    }

    /// The first pass: writes this shard's packets of the batch into ``pending`` with their key hashes
    /// (from `hashes` where known, else worked out here, later fragments taking their first fragment's
    /// ports) and returns how many.
    private func gather(_ columns: PacketColumns, shardOf: UnsafeBufferPointer<UInt8>,
                        hashes: UnsafeBufferPointer<UInt64>?, srcFirst: UnsafeBufferPointer<Bool>,
                        shard: UInt8) -> Int {
        if pendingCapacity < columns.count {
            pending.deallocate()
            pendingCapacity = max(columns.count, pendingCapacity * 2)
            pending = .allocate(capacity: pendingCapacity)
        }
        let out = pending
        var count = 0
        for i in 0..<columns.count where shardOf[i] == shard {
            if let hashes, hashes[i] != 0 {
                out[count] = PendingPacket(index: i, srcFirst: srcFirst[i], srcPort: columns.srcPort[i],
                                           dstPort: columns.dstPort[i], hash: hashes[i])
            } else {
                out[count] = pendingPacket(columns, i)
            }
            count &+= 1
        }
        return count
    }

    /// Packet `i` with its key hash worked out here: a later fragment takes its first fragment's ports, a
    /// first fragment leaves its ports for the later ones.
    @inline(never)
    private func pendingPacket(_ columns: PacketColumns, _ i: Int) -> PendingPacket {
        var srcPort = columns.srcPort[i], dstPort = columns.dstPort[i]
        let flags = PacketBatch.Flags(rawValue: columns.flags[i])
        if flags.contains(.fragment) {
            let key = FragmentKey(srcHigh: columns.srcHigh[i], srcLow: columns.srcLow[i], dstHigh: columns.dstHigh[i],
                                  dstLow: columns.dstLow[i], id: columns.fragmentID[i], proto: columns.proto[i])
            if flags.contains(.laterFragment) {
                if let known = fragments[key] { (srcPort, dstPort) = (known.srcPort, known.dstPort) }
            } else {
                fragments[key] = FragmentPorts(srcPort: srcPort, dstPort: dstPort, seen: columns.timestamp[i])
            }
        }
        let key = CanonicalKey(columns.srcHigh[i], columns.srcLow[i], columns.dstHigh[i], columns.dstLow[i],
                               srcPort, dstPort, columns.keyProtocol(i))
        return PendingPacket(index: i, srcFirst: key.srcFirst, srcPort: srcPort, dstPort: dstPort, hash: key.hash)
    }

    /// The second pass: updates the table with the first `count` packets of ``pending``, prefetching the
    /// slots a few packets ahead.
    private func applyPending(_ columns: PacketColumns, count: Int) {
        let packets = pending
        for k in 0..<count {
            if k &+ Self.prefetchDistance < count { prefetch(hash: packets[k &+ Self.prefetchDistance].hash) }
            apply(columns, packets[k])
        }
    }

    /// Updates the table with every packet of the batch, its hash and orientation read from the decoder's
    /// keys (`hashes` 0 for a fragment, worked out here), prefetching the slots a few packets ahead: the only
    /// shard needs no first pass.
    private func applyDirect(_ columns: PacketColumns, hashes: UnsafeBufferPointer<UInt64>,
                             srcFirst: UnsafeBufferPointer<Bool>) {
        let count = columns.count
        for i in 0..<count {
            if i &+ Self.prefetchDistance < count { prefetch(hash: hashes[i &+ Self.prefetchDistance]) }
            let hash = hashes[i]
            apply(columns, hash != 0
                ? PendingPacket(index: i, srcFirst: srcFirst[i], srcPort: columns.srcPort[i], dstPort: columns.dstPort[i],
                                hash: hash)
                : pendingPacket(columns, i))
        }
    }

    /// Starts loading the control bytes and entry of the home slot of `hash`.
    @inline(__always)
    private func prefetch(hash: UInt64) {
        let slot = Int(truncatingIfNeeded: hash) & slots.mask
        medflow_prefetch(slots.control + slot)
        medflow_prefetch(slots.entries + slot)
    }

    /// Updates the table with packet `p` of the batch.
    @inline(__always)
    private func apply(_ columns: PacketColumns, _ p: PendingPacket) {
        let i = p.index
        let key = CanonicalKey(oriented: p.srcFirst, columns.srcHigh[i], columns.srcLow[i], columns.dstHigh[i],
                               columns.dstLow[i], p.srcPort, p.dstPort, columns.keyProtocol(i))
        add(key, timestamp: columns.timestamp[i], tcpFlags: columns.tcpFlags[i],
            length: UInt64(columns.wireLength[i]), hash: p.hash)
    }
}
