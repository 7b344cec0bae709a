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
/// append per packet were a tenth of the table's instructions. The only shard skips the first pass: its
/// packets' hashes come from the decoder, and it reads them straight from the batch
/// (``FlowTable+Batch.swift``). A packet that continues an open flow with no timeout, gap, close or full
/// count in view only accumulates; the full rules run for the rest. With ``maximumFlows`` set, a
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
    /// A packet this soon after its flow's last one neither starts a burst nor finds the flow idle, for
    /// either protocol: the smaller of ``burstGap`` and both idle timeouts plus one (``update(_:timestamp:fromA:tcpFlags:length:)``'s
    /// quick path).
    private let quickGap: Int64
    /// The latest packet time across all shards, set by ``advance(to:)`` before each step.
    var now: Int64 = .min
    var nextSweep: Int64 = .min
    /// Ports of recent first fragments, for the datagrams' later fragments.
    var fragments: [FragmentKey: FragmentPorts] = [:]
    /// Per-batch scratch: the shard's packets (index, key hash, ports after fragment lookup), room for
    /// ``pendingCapacity``; raw memory, so the first pass stores without a uniqueness or capacity check each.
    var pending: UnsafeMutablePointer<PendingPacket>
    var pendingCapacity = 0

    /// How many packets ahead the second pass prefetches.
    static let prefetchDistance = 8

    /// A flow piece ends (as at the active timeout) once a direction has this many packets: the entry's
    /// counts are 32-bit. Tests lower it.
    let piecePacketLimit: UInt32

    init(configuration: FlowConfiguration, maximumFlows: Int = 0, initialCapacity: Int = 1 << 12,
         piecePacketLimit: UInt32 = .max) {
        self.configuration = configuration
        self.maximumFlows = maximumFlows
        self.piecePacketLimit = piecePacketLimit
        burstGap = configuration.burstGap > 0 ? configuration.burstGap : .max
        quickGap = min(burstGap, configuration.idleTimeout &+ 1, configuration.tcpIdleTimeout &+ 1)
        slots = FlowSlots(capacity: max(16, initialCapacity.nextPowerOfTwo))
        pending = .allocate(capacity: 0)
    }

    deinit {
        slots.deallocate()
        pending.deallocate()
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

    /// Adds one packet whose key and key hash are worked out.
    @inline(__always)
    func add(_ key: CanonicalKey, timestamp ts: Int64, tcpFlags: UInt8, length: UInt64, hash: UInt64) {
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
        // Most packets continue an open flow: no quiet gap or idle time since its last packet, no active
        // timeout, no full count, no FIN or RST yet. They only accumulate; the rest take the full rules.
        if ts &- e.pointee.last < quickGap && ts &- e.pointee.first <= configuration.activeTimeout
            && e.pointee.status & (FlowStatus.rst | FlowStatus.finAB | FlowStatus.finBA) == 0
            && e.pointee.packetsAB < piecePacketLimit && e.pointee.packetsBA < piecePacketLimit {
            accumulate(e, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length)
            return
        }
        updateByRules(e, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length)
    }

    /// ``update(_:timestamp:fromA:tcpFlags:length:)`` for a packet that may end, cut or start its flow, or
    /// start a burst.
    @inline(never)
    private func updateByRules(_ e: UnsafeMutablePointer<FlowEntry>, timestamp ts: Int64, fromA: Bool, tcpFlags: UInt8,
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
        // Only SYN, FIN and RST change the status: most TCP packets (ACK, PSH) leave it as it is.
        guard tcpFlags & (TCPFlags.syn | TCPFlags.fin | TCPFlags.rst) != 0, e.pointee.proto == TransportProtocol.tcp else {
            return
        }
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
