import CPrefetch
import FlowModel

/// One shard's open flows: an open-addressing hash table with a control byte per slot and 64-byte entries.
///
/// Keys are canonical (the lower of the two endpoints first), so both directions of a connection meet in
/// one slot; the initiator is remembered per flow. Deleted slots become tombstones so a sweep can delete
/// while it walks; the table is rebuilt when live slots plus tombstones pass seven eighths (a probe reads
/// control bytes, one cache line holds 64 of them, and an entry is read only on a 7-bit tag match, so long
/// probe runs cost little, while every halving of the slots halves the memory a packet's miss lands in and
/// the fresh pages a growing table faults in: at 60 % the bulk capture's two shards held 100 MB of slots,
/// now 50 MB). A probe compares 16 control bytes at a time with the tag, empty and deleted (one SSE2 step,
/// ``medflow_control_group16``): at the bulk capture's load a byte-by-byte probe looked at 3.2 bytes per
/// packet with a branch each, and ended on a mispredicted one. A batch is added in
/// two passes: the first hashes the shard's packets, the second updates the table while prefetching the
/// slots a few packets ahead, so cache misses overlap instead of queueing. Both read the batch through
/// ``PacketColumns`` and the first writes into raw scratch memory: per-column bounds checks and an array
/// append per packet were a tenth of the table's instructions. With ``maximumFlows`` set, a
/// full table evicts its least recently active flows first, as a flow exporter does.
/// Owned by exactly one worker at a time: no locks.
final class FlowTable {
    let configuration: FlowConfiguration
    var slots: FlowSlots
    var liveCount = 0
    /// Live slots plus tombstones.
    var usedCount = 0
    /// Most flows open at once in this shard; 0 for no limit.
    let maximumFlows: Int
    /// Flows ended early to stay within ``maximumFlows``.
    var evictedCount: UInt64 = 0
    /// Flows that ended, in the order they ended; the assembler drains it.
    var finished = FlowBatch()
    /// Burst starts noted since the assembler last took them (``FlowConfiguration/burstGap``).
    var burstStarts: [BurstStart] = []
    /// ``FlowConfiguration/burstGap``, or `.max` when burst starts are not noted.
    private let burstGap: Int64
    /// The latest packet time across all shards, set by ``advance(to:)`` before each step.
    var now: Int64 = .min
    var nextSweep: Int64 = .min
    /// Ports of recent first fragments, for the datagrams' later fragments.
    var fragments: [FragmentKey: FragmentPorts] = [:]
    /// Per-batch scratch: the shard's packets (index, key hash, ports after fragment lookup), room for
    /// ``pendingCapacity``; raw memory, so the first pass stores without a uniqueness or capacity check each.
    private var pending: UnsafeMutablePointer<PendingPacket>
    private var pendingCapacity = 0

    /// How many packets ahead the second pass prefetches.
    private static let prefetchDistance = 8

    /// A flow piece ends (as at the active timeout) once a direction has this many packets: the entry's
    /// counts are 32-bit. Tests lower it.
    let piecePacketLimit: UInt32

    init(configuration: FlowConfiguration, maximumFlows: Int = 0, initialCapacity: Int = 1 << 12,
         piecePacketLimit: UInt32 = .max) {
        self.configuration = configuration
        self.maximumFlows = maximumFlows
        self.piecePacketLimit = piecePacketLimit
        burstGap = configuration.burstGap > 0 ? configuration.burstGap : .max
        slots = FlowSlots(capacity: max(16, initialCapacity.nextPowerOfTwo))
        pending = .allocate(capacity: 0)
    }

    deinit {
        slots.deallocate()
        pending.deallocate()
    }

    /// A packet of the current batch that belongs to this shard.
    private struct PendingPacket {
        /// The packet's index in the batch, with ``srcFirstBit`` set when its source is the key's endpoint A.
        var indexAndOrientation: UInt32
        var srcPort: UInt16, dstPort: UInt16
        var hash: UInt64

        static let srcFirstBit: UInt32 = 1 << 31
        var index: Int { Int(indexAndOrientation & ~Self.srcFirstBit) }
        var srcFirst: Bool { indexAndOrientation & Self.srcFirstBit != 0 }
    }

    /// Adds the packets of `batch` whose shard is `shard`, in order; `keys` may carry their hashes and
    /// orientations already (``FlowAssembler/keys(for:)``), else they are worked out here.
    func add(_ batch: PacketBatch, keys: FlowAssembler.PacketKeys, shard: UInt8) {
        batch.withUnsafeColumns { columns in
            keys.shards.withUnsafeBufferPointer { shardOf in
                keys.hashes.withUnsafeBufferPointer { hashes in
                    keys.srcFirst.withUnsafeBufferPointer { srcFirst in
                        let known = hashes.count == columns.count
                        precondition(shardOf.count == columns.count && (!known || srcFirst.count == columns.count),
                                     "keys of another batch")
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
            var srcPort = columns.srcPort[i], dstPort = columns.dstPort[i]
            if let hashes, hashes[i] != 0 {
                out[count] = PendingPacket(
                    indexAndOrientation: UInt32(truncatingIfNeeded: i) | (srcFirst[i] ? PendingPacket.srcFirstBit : 0),
                    srcPort: srcPort, dstPort: dstPort, hash: hashes[i])
                count &+= 1
                continue
            }
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
            out[count] = PendingPacket(
                indexAndOrientation: UInt32(truncatingIfNeeded: i) | (key.srcFirst ? PendingPacket.srcFirstBit : 0),
                srcPort: srcPort, dstPort: dstPort, hash: key.hash)
            count &+= 1
        }
        return count
    }

    /// The second pass: updates the table with the first `count` packets of ``pending``, prefetching the
    /// slots a few packets ahead.
    private func applyPending(_ columns: PacketColumns, count: Int) {
        let packets = pending
        for k in 0..<count {
            if k &+ Self.prefetchDistance < count {
                let slot = Int(truncatingIfNeeded: packets[k &+ Self.prefetchDistance].hash) & slots.mask
                medflow_prefetch(slots.control + slot)
                medflow_prefetch(slots.entries + slot)
            }
            let p = packets[k]
            let i = p.index
            let key = CanonicalKey(oriented: p.srcFirst, columns.srcHigh[i], columns.srcLow[i], columns.dstHigh[i],
                                   columns.dstLow[i], p.srcPort, p.dstPort, columns.keyProtocol(i))
            add(key, timestamp: columns.timestamp[i], tcpFlags: columns.tcpFlags[i],
                length: UInt64(columns.wireLength[i]), hash: p.hash)
        }
    }

    /// Moves the table's clock to `time` (the latest packet time across all shards) and sweeps when a
    /// sweep is due, so every shard expires flows by the same clock however the packets were spread.
    func advance(to time: Int64) {
        if time > now {
            if now == .min { nextSweep = time &+ configuration.sweepInterval }
            now = time
        }
        if now >= nextSweep { sweep() }
    }

    /// Adds one packet. `proto` is the IP protocol, or 0x100 for a link-layer frame.
    func add(timestamp ts: Int64, srcHigh: UInt64, srcLow: UInt64, dstHigh: UInt64, dstLow: UInt64,
             srcPort: UInt16, dstPort: UInt16, proto: UInt16, tcpFlags: UInt8, length: UInt64) {
        let key = CanonicalKey(srcHigh, srcLow, dstHigh, dstLow, srcPort, dstPort, proto)
        add(key, timestamp: ts, tcpFlags: tcpFlags, length: length, hash: key.hash)
    }

    @inline(__always)
    private func add(_ key: CanonicalKey, timestamp ts: Int64, tcpFlags: UInt8, length: UInt64, hash: UInt64) {
        let proto = UInt8(truncatingIfNeeded: key.proto)
        let keyBits = FlowStatus.keyBits(aHigh: key.aHigh, bHigh: key.bHigh, proto: key.proto)
        let tag = FlowSlots.tag(hash)
        let s = slots
        /// Whether slot `slot` holds this key.
        @inline(__always) func holdsKey(_ slot: Int) -> Bool {
            let e = s.entries + slot
            return e.pointee.aLow == key.aLow && e.pointee.bLow == key.bLow && e.pointee.aPort == key.aPort
                && e.pointee.bPort == key.bPort && e.pointee.proto == proto
                && e.pointee.status & FlowStatus.keyBits == keyBits
                && (keyBits & FlowStatus.wide == 0 || (s.highs[slot].a == key.aHigh && s.highs[slot].b == key.bHigh))
        }
        var slot = Int(truncatingIfNeeded: hash) & s.mask
        var tombstone = -1
        // Linear probing to the first empty slot, 16 control bytes per step (one SSE2 compare for tag, empty
        // and deleted) while the group lies before the table's end, one byte per step across it. Either
        // way the slots are looked at in probe order: the key where it lies before the first empty slot,
        // else the first deleted slot or that empty one for a new flow.
        while true {
            if slot &+ 16 <= s.capacity {
                let bits = medflow_control_group16(s.control + slot, tag)
                let empty = UInt32(truncatingIfNeeded: bits >> 16) & 0xFFFF
                let before: UInt32 = empty == 0 ? 0xFFFF : (empty & (0 &- empty)) &- 1  // the bytes before the first empty
                var matches = UInt32(truncatingIfNeeded: bits) & 0xFFFF & before
                while matches != 0 {
                    let candidate = slot &+ matches.trailingZeroBitCount
                    if holdsKey(candidate) {
                        update(s.entries + candidate, timestamp: ts, fromA: key.srcFirst, tcpFlags: tcpFlags, length: length)
                        return
                    }
                    matches &= matches &- 1
                }
                let deleted = UInt32(truncatingIfNeeded: bits >> 32) & before
                if tombstone < 0 && deleted != 0 { tombstone = slot &+ deleted.trailingZeroBitCount }
                if empty != 0 {
                    slot &+= empty.trailingZeroBitCount
                    break
                }
                slot = (slot &+ 16) & s.mask
            } else {
                let control = s.control[slot]
                if control == 0 { break }
                if control == tag && holdsKey(slot) {
                    update(s.entries + slot, timestamp: ts, fromA: key.srcFirst, tcpFlags: tcpFlags, length: length)
                    return
                }
                if control == 1 && tombstone < 0 { tombstone = slot }
                slot = (slot &+ 1) & s.mask
            }
        }
        if maximumFlows > 0 && liveCount >= maximumFlows { evictLeastRecent() }
        if tombstone >= 0 { slot = tombstone } else { usedCount += 1 }
        liveCount += 1
        s.control[slot] = tag
        let e = s.entries + slot
        e.pointee.aLow = key.aLow; e.pointee.bLow = key.bLow
        e.pointee.aPort = key.aPort; e.pointee.bPort = key.bPort; e.pointee.proto = proto
        e.pointee.status = keyBits  // start() keeps them
        if keyBits & FlowStatus.wide != 0 { s.highs[slot] = FlowHighs(a: key.aHigh, b: key.bHigh) }
        start(e, timestamp: ts, fromA: key.srcFirst, tcpFlags: tcpFlags, length: length, status: 0)
        if burstGap != .max && Self.notesFlowStart(proto: proto, tcpFlags: tcpFlags) {
            noteBurst(e, timestamp: ts, flowStart: ts)
        }
        if usedCount * 8 > s.capacity * 7 { rebuild() }
    }

    /// Whether a new flow's first packet is noted as a burst start at once: not for a TCP connection opened
    /// by a SYN (or SYN-ACK), whose start is noted with its first quiet gap, if it has one (``BurstStart``).
    @inline(__always)
    private static func notesFlowStart(proto: UInt8, tcpFlags: UInt8) -> Bool {
        proto != TransportProtocol.tcp || tcpFlags & TCPFlags.syn == 0
    }

    /// Notes a burst start at `ts` in `e`'s 5-tuple (TCP and UDP only), in a flow that began at `flowStart`.
    @inline(never)
    private func noteBurst(_ e: UnsafeMutablePointer<FlowEntry>, timestamp ts: Int64, flowStart: Int64) {
        let proto = e.pointee.proto  // 0 for link-layer flows
        guard proto == TransportProtocol.tcp || proto == TransportProtocol.udp else { return }
        let h = slots.highs(of: e)
        burstStarts.append(BurstStart(
            a: IPAddress(high: h.a, low: e.pointee.aLow), b: IPAddress(high: h.b, low: e.pointee.bLow),
            aPort: e.pointee.aPort, bPort: e.pointee.bPort, proto: proto,
            initiatorIsB: e.pointee.status & FlowStatus.initiatorIsB != 0, timestamp: ts, flowStart: flowStart))
    }

    /// Starts a new flow (or a new piece of one) in an occupied slot with this packet.
    @inline(__always)
    private func start(_ e: UnsafeMutablePointer<FlowEntry>, timestamp ts: Int64, fromA: Bool, tcpFlags: UInt8,
                       length: UInt64, status: UInt8) {
        e.pointee.first = ts; e.pointee.last = ts
        e.pointee.packetsAB = 0; e.pointee.bytesAB = 0; e.pointee.packetsBA = 0; e.pointee.bytesBA = 0
        e.pointee.flagsAB = 0; e.pointee.flagsBA = 0
        var status = status
        if status & (FlowStatus.initiatorFixed | FlowStatus.continuation) == 0 {
            // The first packet's sender initiates, unless it is a SYN-ACK: then its receiver did.
            let synAck = e.pointee.proto == TransportProtocol.tcp
                && tcpFlags & (TCPFlags.syn | TCPFlags.ack) == TCPFlags.syn | TCPFlags.ack
            status = (fromA != synAck) ? 0 : FlowStatus.initiatorIsB
        }
        e.pointee.status = status | e.pointee.status & FlowStatus.keyBits
        accumulate(e, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length)
    }

    @inline(__always)
    private func update(_ e: UnsafeMutablePointer<FlowEntry>, timestamp ts: Int64, fromA: Bool, tcpFlags: UInt8,
                        length: UInt64) {
        // A burst starts after the quiet gap, whether the packet continues this flow or starts the next one.
        let gap = ts &- e.pointee.last >= burstGap
        let status = e.pointee.status
        let isTCP = e.pointee.proto == TransportProtocol.tcp
        if e.pointee.packetsAB >= piecePacketLimit || e.pointee.packetsBA >= piecePacketLimit {
            // A 32-bit packet count is full: the piece ends as at the active timeout and the flow goes on.
            continuePiece(e, status: status, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length)
            if gap { noteBurst(e, timestamp: ts, flowStart: BurstStart.unknownFlowStart) }
            return
        }
        if isTCP && FlowStatus.isClosed(status) {
            let synOnly = tcpFlags & (TCPFlags.syn | TCPFlags.ack) == TCPFlags.syn
            if synOnly || ts &- e.pointee.last > configuration.tcpCloseLinger {
                export(e, reason: FlowStatus.closeReason(status))
                start(e, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length, status: 0)
                if gap && Self.notesFlowStart(proto: e.pointee.proto, tcpFlags: tcpFlags) {
                    noteBurst(e, timestamp: ts, flowStart: ts)
                }
                return
            }
        } else if ts &- e.pointee.last > idleTimeout(isTCP: isTCP) {
            export(e, reason: .idle)
            start(e, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length, status: 0)
            if gap && Self.notesFlowStart(proto: e.pointee.proto, tcpFlags: tcpFlags) {
                noteBurst(e, timestamp: ts, flowStart: ts)
            }
            return
        } else if ts &- e.pointee.first > configuration.activeTimeout {
            continuePiece(e, status: status, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length)
            if gap { noteBurst(e, timestamp: ts, flowStart: BurstStart.unknownFlowStart) }
            return
        }
        // A gap in a flow's first piece carries its start: a SYN-opened connection's start is noted only now.
        if gap {
            noteBurst(e, timestamp: ts,
                      flowStart: status & FlowStatus.continuation == 0 ? e.pointee.first : BurstStart.unknownFlowStart)
        }
        accumulate(e, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length)
    }

    /// Ends the flow's piece in `e` with reason `active` and starts its continuation with this packet,
    /// keeping who initiated it.
    @inline(__always)
    private func continuePiece(_ e: UnsafeMutablePointer<FlowEntry>, status: UInt8, timestamp ts: Int64, fromA: Bool,
                               tcpFlags: UInt8, length: UInt64) {
        export(e, reason: .active)
        let kept = status & (FlowStatus.initiatorIsB | FlowStatus.initiatorFixed) | FlowStatus.continuation
        start(e, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length, status: kept)
    }

    @inline(__always)
    private func accumulate(_ e: UnsafeMutablePointer<FlowEntry>, timestamp ts: Int64, fromA: Bool, tcpFlags: UInt8,
                            length: UInt64) {
        if fromA {
            e.pointee.packetsAB &+= 1; e.pointee.bytesAB &+= length; e.pointee.flagsAB |= tcpFlags
        } else {
            e.pointee.packetsBA &+= 1; e.pointee.bytesBA &+= length; e.pointee.flagsBA |= tcpFlags
        }
        if ts > e.pointee.last { e.pointee.last = ts }
        if ts < e.pointee.first { e.pointee.first = ts }
        guard e.pointee.proto == TransportProtocol.tcp, tcpFlags != 0 else { return }
        var status = e.pointee.status
        if tcpFlags & TCPFlags.rst != 0 { status |= FlowStatus.rst }
        if tcpFlags & TCPFlags.fin != 0 { status |= fromA ? FlowStatus.finAB : FlowStatus.finBA }
        if status & FlowStatus.initiatorFixed == 0 && tcpFlags & TCPFlags.syn != 0 {
            // SYN alone: the sender initiates. SYN-ACK: the receiver does.
            let senderIsInitiator = tcpFlags & TCPFlags.ack == 0
            let initiatorIsA = fromA == senderIsInitiator
            status = (status & ~FlowStatus.initiatorIsB) | (initiatorIsA ? 0 : FlowStatus.initiatorIsB)
                | FlowStatus.initiatorFixed
        }
        e.pointee.status = status
    }

    @inline(__always)
    private func idleTimeout(isTCP: Bool) -> Int64 {
        isTCP ? configuration.tcpIdleTimeout : configuration.idleTimeout
    }
}

/// A packet's flow key with the lower endpoint first, and whether the sender is that endpoint.
struct CanonicalKey {
    let aHigh: UInt64, aLow: UInt64, bHigh: UInt64, bLow: UInt64
    let aPort: UInt16, bPort: UInt16, proto: UInt16
    /// The packet went from A to B.
    let srcFirst: Bool

    @inline(__always)
    init(_ srcHigh: UInt64, _ srcLow: UInt64, _ dstHigh: UInt64, _ dstLow: UInt64,
         _ srcPort: UInt16, _ dstPort: UInt16, _ proto: UInt16) {
        srcFirst = IPAddress.endpointPrecedes(IPAddress(high: srcHigh, low: srcLow), srcPort,
                                              IPAddress(high: dstHigh, low: dstLow), dstPort)
        (aHigh, aLow, bHigh, bLow, aPort, bPort) = srcFirst
            ? (srcHigh, srcLow, dstHigh, dstLow, srcPort, dstPort)
            : (dstHigh, dstLow, srcHigh, srcLow, dstPort, srcPort)
        self.proto = proto
    }

    /// The key of a packet whose orientation is known already (`srcFirst`: its source is endpoint A).
    @inline(__always)
    init(oriented srcFirst: Bool, _ srcHigh: UInt64, _ srcLow: UInt64, _ dstHigh: UInt64, _ dstLow: UInt64,
         _ srcPort: UInt16, _ dstPort: UInt16, _ proto: UInt16) {
        self.srcFirst = srcFirst
        (aHigh, aLow, bHigh, bLow, aPort, bPort) = srcFirst
            ? (srcHigh, srcLow, dstHigh, dstLow, srcPort, dstPort)
            : (dstHigh, dstLow, srcHigh, srcLow, dstPort, srcPort)
        self.proto = proto
    }

    /// The key's hash (never 0 or 1).
    @inline(__always)
    var hash: UInt64 { FlowHash.key(aHigh, aLow, bHigh, bLow, aPort, bPort, proto) }
}
