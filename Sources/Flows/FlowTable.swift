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
/// now 50 MB). A batch is added in
/// two passes: the first hashes the shard's packets, the second updates the table while prefetching the
/// slots a few packets ahead, so cache misses overlap instead of queueing. With ``maximumFlows`` set, a
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
    /// Per-batch scratch: the shard's packets (index, key hash, ports after fragment lookup).
    private var pending: [PendingPacket] = []

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
    }

    deinit { slots.deallocate() }

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
        pending.removeAll(keepingCapacity: true)
        let shardOf = keys.shards
        let known = keys.hashes.count == batch.count
        for i in 0..<batch.count where shardOf[i] == shard {
            var srcPort = batch.srcPort[i], dstPort = batch.dstPort[i]
            if known && keys.hashes[i] != 0 {
                pending.append(PendingPacket(
                    indexAndOrientation: UInt32(truncatingIfNeeded: i) | (keys.srcFirst[i] ? PendingPacket.srcFirstBit : 0),
                    srcPort: srcPort, dstPort: dstPort, hash: keys.hashes[i]))
                continue
            }
            let flags = PacketBatch.Flags(rawValue: batch.flags[i])
            if flags.contains(.fragment) {
                let key = FragmentKey(srcHigh: batch.srcHigh[i], srcLow: batch.srcLow[i], dstHigh: batch.dstHigh[i],
                                      dstLow: batch.dstLow[i], id: batch.fragmentID[i], proto: batch.proto[i])
                if flags.contains(.laterFragment) {
                    if let known = fragments[key] { (srcPort, dstPort) = (known.srcPort, known.dstPort) }
                } else {
                    fragments[key] = FragmentPorts(srcPort: srcPort, dstPort: dstPort, seen: batch.timestamp[i])
                }
            }
            let proto = flags.contains(.link) ? UInt16(0x100) : UInt16(batch.proto[i])
            let key = CanonicalKey(batch.srcHigh[i], batch.srcLow[i], batch.dstHigh[i], batch.dstLow[i],
                                   srcPort, dstPort, proto)
            pending.append(PendingPacket(
                indexAndOrientation: UInt32(truncatingIfNeeded: i) | (key.srcFirst ? PendingPacket.srcFirstBit : 0),
                srcPort: srcPort, dstPort: dstPort, hash: key.hash))
        }
        let count = pending.count
        pending.withUnsafeBufferPointer { packets in
            for k in 0..<count {
                if k &+ Self.prefetchDistance < count {
                    let slot = Int(truncatingIfNeeded: packets[k &+ Self.prefetchDistance].hash) & slots.mask
                    medflow_prefetch(slots.control + slot)
                    medflow_prefetch(slots.entries + slot)
                }
                let p = packets[k]
                let i = p.index
                let proto = PacketBatch.Flags(rawValue: batch.flags[i]).contains(.link)
                    ? UInt16(0x100) : UInt16(batch.proto[i])
                let key = CanonicalKey(oriented: p.srcFirst, batch.srcHigh[i], batch.srcLow[i], batch.dstHigh[i],
                                       batch.dstLow[i], p.srcPort, p.dstPort, proto)
                add(key, timestamp: batch.timestamp[i], tcpFlags: batch.tcpFlags[i], length: UInt64(batch.wireLength[i]),
                    hash: p.hash)
            }
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
        var slot = Int(truncatingIfNeeded: hash) & s.mask
        var tombstone = -1
        while true {
            let control = s.control[slot]
            if control == 0 { break }
            if control == tag {
                let e = s.entries + slot
                if e.pointee.aLow == key.aLow && e.pointee.bLow == key.bLow && e.pointee.aPort == key.aPort
                    && e.pointee.bPort == key.bPort && e.pointee.proto == proto
                    && e.pointee.status & FlowStatus.keyBits == keyBits
                    && (keyBits & FlowStatus.wide == 0 || (s.highs[slot].a == key.aHigh && s.highs[slot].b == key.bHigh)) {
                    update(e, timestamp: ts, fromA: key.srcFirst, tcpFlags: tcpFlags, length: length)
                    return
                }
            } else if control == 1 && tombstone < 0 {
                tombstone = slot
            }
            slot = (slot &+ 1) & s.mask
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
        if burstGap != .max { noteBurst(e, timestamp: ts) }
        if usedCount * 8 > s.capacity * 7 { rebuild() }
    }

    /// Notes a burst start in `e`'s 5-tuple (TCP and UDP only).
    @inline(never)
    private func noteBurst(_ e: UnsafeMutablePointer<FlowEntry>, timestamp ts: Int64) {
        let proto = e.pointee.proto  // 0 for link-layer flows
        guard proto == TransportProtocol.tcp || proto == TransportProtocol.udp else { return }
        let h = slots.highs(of: e)
        burstStarts.append(BurstStart(
            a: IPAddress(high: h.a, low: e.pointee.aLow), b: IPAddress(high: h.b, low: e.pointee.bLow),
            aPort: e.pointee.aPort, bPort: e.pointee.bPort, proto: proto,
            initiatorIsB: e.pointee.status & FlowStatus.initiatorIsB != 0, timestamp: ts))
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
        if ts &- e.pointee.last >= burstGap { noteBurst(e, timestamp: ts) }
        let status = e.pointee.status
        let isTCP = e.pointee.proto == TransportProtocol.tcp
        if e.pointee.packetsAB >= piecePacketLimit || e.pointee.packetsBA >= piecePacketLimit {
            // A 32-bit packet count is full: the piece ends as at the active timeout and the flow goes on.
            return continuePiece(e, status: status, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length)
        }
        if isTCP && FlowStatus.isClosed(status) {
            let synOnly = tcpFlags & (TCPFlags.syn | TCPFlags.ack) == TCPFlags.syn
            if synOnly || ts &- e.pointee.last > configuration.tcpCloseLinger {
                export(e, reason: FlowStatus.closeReason(status))
                start(e, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length, status: 0)
                return
            }
        } else if ts &- e.pointee.last > idleTimeout(isTCP: isTCP) {
            export(e, reason: .idle)
            start(e, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length, status: 0)
            return
        } else if ts &- e.pointee.first > configuration.activeTimeout {
            return continuePiece(e, status: status, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length)
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
