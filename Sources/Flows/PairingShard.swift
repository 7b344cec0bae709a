import CPrefetch
import FlowModel

/// A unidirectional record waiting for its reverse, stored inline in a ``PairingShard``'s table (88 bytes),
/// so finding, merging and sending it on touch the slot the probe already reached and nothing else.
struct WaitingRecord {
    var srcHigh: UInt64, srcLow: UInt64, dstHigh: UInt64, dstLow: UInt64
    var firstSeen: Int64, lastSeen: Int64
    var packets: UInt64, bytes: UInt64
    /// The record's number in the pairer's input (across batches): sweeps send records on in this order.
    var arrival: UInt64
    /// The low 32 bits of the connection hash (home slot and control tag come from them).
    var hash: UInt32
    var srcPort: UInt16, dstPort: UInt16
    var proto: UInt8, flags: UInt8, tcpFlagsOut: UInt8, tcpFlagsIn: UInt8, endReason: UInt8

    /// The unidirectional flow the record arrived as.
    var record: FlowRecord {
        FlowRecord(src: IPAddress(high: srcHigh, low: srcLow), dst: IPAddress(high: dstHigh, low: dstLow),
                   srcPort: srcPort, dstPort: dstPort, proto: proto, flags: FlowRecord.Flags(rawValue: flags),
                   firstSeen: firstSeen, lastSeen: lastSeen, packetsOut: packets, bytesOut: bytes,
                   tcpFlagsOut: tcpFlagsOut, tcpFlagsIn: tcpFlagsIn,
                   endReason: FlowRecord.EndReason(rawValue: endReason) ?? .endOfInput)
    }
}

/// One shard of a ``FlowPairer``: the records waiting for their reverse, in an open-addressing table with a
/// control byte per slot (0 empty, else `0x80` | 7 hash bits) and the records inline beside it.
///
/// Both directions of a connection hash alike (the hash is symmetric in the two endpoints), so a record
/// finds its reverse, or a waiting record of its own direction, in one probe from one home slot: one cache
/// miss per record, which the batch loop overlaps by prefetching a few records ahead. Linear probing,
/// backward-shift deletion (no tombstones), doubling past three quarters full. Owned by one worker at a time.
final class PairingShard {
    private var control: UnsafeMutablePointer<UInt8>
    private var entries: UnsafeMutablePointer<WaitingRecord>
    private var capacity: Int
    private var mask: Int { capacity &- 1 }
    /// Records waiting.
    private(set) var count = 0
    /// Flows made of two records.
    private(set) var paired: UInt64 = 0
    /// Records sent on without a reverse record.
    private(set) var unpaired: UInt64 = 0
    /// Per-batch scratch: the batch indices of this shard's records.
    private var pending: [Int] = []

    /// How many records ahead the batch loop prefetches.
    private static let prefetchDistance = 8

    init(capacity: Int = 1 << 12) {
        self.capacity = max(16, capacity.nextPowerOfTwo)
        control = .allocate(capacity: self.capacity)
        control.initialize(repeating: 0, count: self.capacity)
        entries = .allocate(capacity: self.capacity)
    }

    deinit {
        control.deallocate()
        entries.deallocate()
    }

    /// The connection hash of a record (symmetric: the reverse record hashes alike). ICMP records carry
    /// their key in the destination port only, so both sides use it.
    @inline(__always)
    static func hash(_ batch: FlowBatch, _ i: Int) -> UInt64 {
        let proto = batch.proto[i]
        let (srcPort, dstPort) = keyPorts(srcPort: batch.srcPort[i], dstPort: batch.dstPort[i], proto: proto)
        let a = mix64(batch.srcLow[i] ^ (batch.srcHigh[i] &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(srcPort) << 48)
        let b = mix64(batch.dstLow[i] ^ (batch.dstHigh[i] &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(dstPort) << 48)
        return mix64((a &+ b) ^ UInt64(proto))
    }

    /// The ports a record is keyed by: ICMP flows carry type and code in the destination port only, so a
    /// request and its reply (keyed alike) find each other.
    @inline(__always)
    static func keyPorts(srcPort: UInt16, dstPort: UInt16, proto: UInt8) -> (UInt16, UInt16) {
        proto == 1 || proto == 58 ? (dstPort, dstPort) : (srcPort, dstPort)
    }

    @inline(__always)
    private static func tag(_ hash: UInt32) -> UInt8 { UInt8(truncatingIfNeeded: hash >> 25) | 0x80 }

    /// The shard (of `shardCount`) a record with connection hash `hash` belongs to: the top 32 bits scaled
    /// to the shard count (a multiply and a shift; a division here was a tenth of the pairing time).
    @inline(__always)
    static func shard(of hash: UInt64, among shardCount: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: ((hash >> 32) &* UInt64(shardCount)) >> 32)
    }

    /// Pairs this shard's records of `batch` (those whose `shardOf` entry is `shard`; `hashes` holds their
    /// ``hash(_:_:)``, or 0 for a record holding both directions), in order; `arrivalBase` is the pairer's
    /// number for record 0 of the batch. A record that leaves a flow (its merged flow, itself passing through, or the
    /// same-direction record it replaced) writes it at its own position in `out` and marks it in `kept`.
    func add(_ batch: FlowBatch, hashes: UnsafeBufferPointer<UInt64>, shardOf: UnsafeBufferPointer<UInt8>, shard: UInt8,
             arrivalBase: UInt64, tolerance: Int64, into out: borrowing FlowBatchBuilder,
             kept: UnsafeMutableBufferPointer<Bool>) {
        pending.removeAll(keepingCapacity: true)
        for i in 0..<batch.count where shardOf[i] == shard { pending.append(i) }
        let count = pending.count
        pending.withUnsafeBufferPointer { records in
            for k in 0..<count {
                if k &+ Self.prefetchDistance < count {
                    let slot = Int(truncatingIfNeeded: hashes[records[k &+ Self.prefetchDistance]]) & mask
                    medflow_prefetch(control + slot)
                    let entry = UnsafeRawPointer(entries + slot)
                    medflow_prefetch(entry)
                    medflow_prefetch(entry + (MemoryLayout<WaitingRecord>.stride - 1))
                }
                let i = records[k]
                if batch.packetsIn[i] != 0 || batch.bytesIn[i] != 0 {
                    out.write(at: i, batch[i])
                    kept[i] = true
                } else if add(batch, i, hash: UInt32(truncatingIfNeeded: hashes[i]), arrival: arrivalBase &+ UInt64(i),
                              tolerance: tolerance, into: out) {
                    kept[i] = true
                }
            }
        }
    }

    /// Pairs record `i`; returns whether it left a flow at position `i` of `out`.
    @inline(__always)
    private func add(_ batch: FlowBatch, _ i: Int, hash: UInt32, arrival: UInt64, tolerance: Int64,
                     into out: borrowing FlowBatchBuilder) -> Bool {
        let srcHigh = batch.srcHigh[i], srcLow = batch.srcLow[i], dstHigh = batch.dstHigh[i], dstLow = batch.dstLow[i]
        let proto = batch.proto[i]
        let (srcPort, dstPort) = Self.keyPorts(srcPort: batch.srcPort[i], dstPort: batch.dstPort[i], proto: proto)
        let first = batch.firstSeen[i], last = batch.lastSeen[i]
        let tag = Self.tag(hash)
        var slot = Int(truncatingIfNeeded: hash) & mask
        var same = -1
        while control[slot] != 0 {
            if control[slot] == tag {
                let e = entries + slot
                if e.pointee.proto == proto {
                    let (ePort, eDstPort) = Self.keyPorts(srcPort: e.pointee.srcPort, dstPort: e.pointee.dstPort, proto: proto)
                    if e.pointee.srcLow == dstLow && e.pointee.dstLow == srcLow && e.pointee.srcHigh == dstHigh
                        && e.pointee.dstHigh == srcHigh && ePort == dstPort && eDstPort == srcPort
                        && e.pointee.firstSeen <= last &+ tolerance && first <= e.pointee.lastSeen &+ tolerance {
                        // The reverse direction waits and the two time spans overlap: one flow.
                        Self.merge(e.pointee, batch, i, into: out)
                        delete(slot)
                        paired &+= 1
                        return true
                    }
                    // (Not `else`: a connection from an endpoint to itself is its own reverse.)
                    if e.pointee.srcLow == srcLow && e.pointee.dstLow == dstLow && e.pointee.srcHigh == srcHigh
                        && e.pointee.dstHigh == dstHigh && ePort == srcPort && eDstPort == dstPort {
                        same = slot
                    }
                }
            }
            slot = (slot &+ 1) & mask
        }
        let record = WaitingRecord(
            srcHigh: srcHigh, srcLow: srcLow, dstHigh: dstHigh, dstLow: dstLow, firstSeen: first, lastSeen: last,
            packets: batch.packetsOut[i], bytes: batch.bytesOut[i], arrival: arrival, hash: hash,
            srcPort: batch.srcPort[i], dstPort: batch.dstPort[i], proto: proto, flags: batch.flags[i],
            tcpFlagsOut: batch.tcpFlagsOut[i], tcpFlagsIn: batch.tcpFlagsIn[i],
            endReason: (FlowRecord.EndReason(rawValue: batch.endReason[i]) ?? .endOfInput).rawValue)
        if same >= 0 {
            // A second record of the same direction: the waiting one goes on unpaired, this one waits.
            out.write(at: i, entries[same].record)
            entries[same] = record
            unpaired &+= 1
            return true
        }
        if (self.count &+ 1) * 4 > capacity * 3 {
            grow()
            insert(record)
        } else {
            control[slot] = tag
            entries[slot] = record
            self.count &+= 1
        }
        return false
    }

    /// Writes at position `index` of `out` the bidirectional flow of a waiting record and its reverse,
    /// record `index` of `batch`. The initiator is the side that started first; on a tie, the side sending
    /// to the lower port.
    @inline(__always)
    private static func merge(_ waiting: WaitingRecord, _ batch: FlowBatch, _ index: Int,
                              into out: borrowing FlowBatchBuilder) {
        let first = batch.firstSeen[index], last = batch.lastSeen[index]
        let arrivingFirst = first != waiting.firstSeen ? first < waiting.firstSeen : batch.dstPort[index] < batch.srcPort[index]
        let firstSeen = min(first, waiting.firstSeen), lastSeen = max(last, waiting.lastSeen)
        let arrivingEnd = (FlowRecord.EndReason(rawValue: batch.endReason[index]) ?? .endOfInput).rawValue
        if arrivingFirst {
            // The arriving record initiated; the waiting one answered.
            out.write(at: index, src: IPAddress(high: batch.srcHigh[index], low: batch.srcLow[index]),
                       dst: IPAddress(high: batch.dstHigh[index], low: batch.dstLow[index]),
                       srcPort: batch.srcPort[index], dstPort: batch.dstPort[index], proto: batch.proto[index],
                       flags: batch.flags[index], firstSeen: firstSeen, lastSeen: lastSeen,
                       packetsOut: batch.packetsOut[index], bytesOut: batch.bytesOut[index],
                       packetsIn: waiting.packets, bytesIn: waiting.bytes,
                       tcpFlagsOut: batch.tcpFlagsOut[index], tcpFlagsIn: waiting.tcpFlagsOut,
                       endReason: waiting.lastSeen > last ? waiting.endReason : arrivingEnd)
        } else {
            out.write(at: index, src: IPAddress(high: waiting.srcHigh, low: waiting.srcLow),
                       dst: IPAddress(high: waiting.dstHigh, low: waiting.dstLow),
                       srcPort: waiting.srcPort, dstPort: waiting.dstPort, proto: waiting.proto, flags: waiting.flags,
                       firstSeen: firstSeen, lastSeen: lastSeen, packetsOut: waiting.packets, bytesOut: waiting.bytes,
                       packetsIn: batch.packetsOut[index], bytesIn: batch.bytesOut[index],
                       tcpFlagsOut: waiting.tcpFlagsOut, tcpFlagsIn: batch.tcpFlagsOut[index],
                       endReason: last > waiting.lastSeen ? arrivingEnd : waiting.endReason)
        }
    }

    /// The end times of the waiting records.
    func waitingEnds() -> [Int64] {
        var ends: [Int64] = []
        ends.reserveCapacity(count)
        for slot in 0..<capacity where control[slot] != 0 { ends.append(entries[slot].lastSeen) }
        return ends
    }

    /// Removes the waiting records that ended before `limit` and returns them with their arrival numbers,
    /// in arrival order.
    func sweep(before limit: Int64) -> (records: FlowBatch, arrivals: [UInt64]) {
        var leaving: [WaitingRecord] = []
        var slot = 0
        while slot < capacity {
            if control[slot] != 0 && entries[slot].lastSeen < limit {
                leaving.append(entries[slot])
                // Deletion shifts later records of the probe run back into this slot: look at it again. A
                // record it moves across the table's end, from the front to the back, was looked at already
                // and stays, so meeting it again changes nothing.
                delete(slot)
                continue
            }
            slot += 1
        }
        leaving.sort { $0.arrival < $1.arrival }
        unpaired &+= UInt64(leaving.count)
        return (FlowBatch(leaving.lazy.map(\.record)), leaving.map(\.arrival))
    }

    /// Places `record` in the first free slot of its probe run (the table has room; its key is not in it).
    private func insert(_ record: WaitingRecord) {
        var slot = Int(truncatingIfNeeded: record.hash) & mask
        while control[slot] != 0 { slot = (slot &+ 1) & mask }
        control[slot] = Self.tag(record.hash)
        entries[slot] = record
        count &+= 1
    }

    /// Backward-shift deletion: moves later records of the probe run into the hole.
    private func delete(_ removed: Int) {
        var hole = removed
        var next = (hole &+ 1) & mask
        while control[next] != 0 {
            let home = Int(truncatingIfNeeded: entries[next].hash) & mask
            // Move `next` into the hole unless its home lies cyclically in (hole, next].
            if (hole &- home) & mask < (next &- home) & mask {
                control[hole] = control[next]
                entries[hole] = entries[next]
                hole = next
            }
            next = (next &+ 1) & mask
        }
        control[hole] = 0
        count &-= 1
    }

    /// Doubles the table and re-places every waiting record.
    private func grow() {
        let oldControl = control, oldEntries = entries, oldCapacity = capacity
        capacity = oldCapacity * 2
        control = .allocate(capacity: capacity)
        control.initialize(repeating: 0, count: capacity)
        entries = .allocate(capacity: capacity)
        count = 0
        for slot in 0..<oldCapacity where oldControl[slot] != 0 { insert(oldEntries[slot]) }
        oldControl.deallocate()
        oldEntries.deallocate()
    }
}
