import FlowModel

/// One shard's open flows: an open-addressing hash table whose fields are separate columns.
///
/// Keys are canonical (the lower of the two endpoints first), so both directions of a connection meet in
/// one slot; the initiator is remembered per flow. Deleted slots become tombstones (hash 1) so a sweep
/// can delete while it walks; the table is rebuilt when live slots plus tombstones pass 60 %.
/// Owned by exactly one worker at a time: no locks.
final class FlowTable {
    let configuration: FlowConfiguration
    var columns: FlowColumns
    var liveCount = 0
    /// Live slots plus tombstones.
    var usedCount = 0
    /// Flows that ended, in the order they ended; the assembler drains it.
    var finished = FlowBatch()
    /// The latest packet time across all shards, set by ``advance(to:)`` before each step.
    var now: Int64 = .min
    var nextSweep: Int64 = .min
    /// Ports of recent first fragments, for the datagrams' later fragments.
    var fragments: [FragmentKey: FragmentPorts] = [:]

    init(configuration: FlowConfiguration, initialCapacity: Int = 1 << 12) {
        self.configuration = configuration
        columns = FlowColumns(capacity: max(16, initialCapacity.nextPowerOfTwo))
    }

    deinit { columns.deallocate() }

    /// Adds the packets of `batch` whose shard is `shard`, in order.
    func add(_ batch: PacketBatch, shardOf: [UInt8], shard: UInt8) {
        let count = batch.count
        for i in 0..<count where shardOf[i] == shard {
            var srcPort = batch.srcPort[i], dstPort = batch.dstPort[i]
            let flags = PacketBatch.Flags(rawValue: batch.flags[i])
            let ts = batch.timestamp[i]
            if flags.contains(.fragment) {
                let key = FragmentKey(srcHigh: batch.srcHigh[i], srcLow: batch.srcLow[i], dstHigh: batch.dstHigh[i],
                                      dstLow: batch.dstLow[i], id: batch.fragmentID[i], proto: batch.proto[i])
                if flags.contains(.laterFragment) {
                    if let known = fragments[key] { (srcPort, dstPort) = (known.srcPort, known.dstPort) }
                } else {
                    fragments[key] = FragmentPorts(srcPort: srcPort, dstPort: dstPort, seen: ts)
                }
            }
            let proto = flags.contains(.link) ? UInt16(0x100) : UInt16(batch.proto[i])
            add(timestamp: ts, srcHigh: batch.srcHigh[i], srcLow: batch.srcLow[i], dstHigh: batch.dstHigh[i],
                dstLow: batch.dstLow[i], srcPort: srcPort, dstPort: dstPort, proto: proto,
                tcpFlags: batch.tcpFlags[i], length: UInt64(batch.wireLength[i]))
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
        let srcFirst = srcHigh != dstHigh ? srcHigh < dstHigh
            : srcLow != dstLow ? srcLow < dstLow : srcPort <= dstPort
        let (aHigh, aLow, bHigh, bLow, aPort, bPort) = srcFirst
            ? (srcHigh, srcLow, dstHigh, dstLow, srcPort, dstPort)
            : (dstHigh, dstLow, srcHigh, srcLow, dstPort, srcPort)
        let hash = FlowHash.key(aHigh, aLow, bHigh, bLow, aPort, bPort, proto)
        var slot = Int(truncatingIfNeeded: hash) & columns.mask
        var tombstone = -1
        let c = columns
        while true {
            let h = c.hash[slot]
            if h == 0 { break }
            if h == hash && c.aLow[slot] == aLow && c.bLow[slot] == bLow && c.aHigh[slot] == aHigh
                && c.bHigh[slot] == bHigh && c.aPort[slot] == aPort && c.bPort[slot] == bPort
                && c.proto[slot] == proto {
                update(slot, timestamp: ts, fromA: srcFirst, tcpFlags: tcpFlags, length: length)
                return
            }
            if h == 1 && tombstone < 0 { tombstone = slot }
            slot = (slot &+ 1) & c.mask
        }
        if tombstone >= 0 { slot = tombstone } else { usedCount += 1 }
        liveCount += 1
        c.hash[slot] = hash
        c.aHigh[slot] = aHigh; c.aLow[slot] = aLow; c.bHigh[slot] = bHigh; c.bLow[slot] = bLow
        c.aPort[slot] = aPort; c.bPort[slot] = bPort; c.proto[slot] = proto
        start(slot, timestamp: ts, fromA: srcFirst, tcpFlags: tcpFlags, length: length, status: 0)
        if usedCount * 5 > c.capacity * 3 { rebuild() }
    }

    /// Starts a new flow (or a new piece of one) in an occupied slot with this packet.
    @inline(__always)
    private func start(_ slot: Int, timestamp ts: Int64, fromA: Bool, tcpFlags: UInt8, length: UInt64, status: UInt8) {
        let c = columns
        c.first[slot] = ts; c.last[slot] = ts
        c.packetsAB[slot] = 0; c.bytesAB[slot] = 0; c.packetsBA[slot] = 0; c.bytesBA[slot] = 0
        c.flagsAB[slot] = 0; c.flagsBA[slot] = 0
        var status = status
        if status & (FlowStatus.initiatorFixed | FlowStatus.continuation) == 0 {
            // The first packet's sender initiates, unless it is a SYN-ACK: then its receiver did.
            let synAck = c.proto[slot] == UInt16(TransportProtocol.tcp)
                && tcpFlags & (TCPFlags.syn | TCPFlags.ack) == TCPFlags.syn | TCPFlags.ack
            status = (fromA != synAck) ? 0 : FlowStatus.initiatorIsB
        }
        c.status[slot] = status
        accumulate(slot, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length)
    }

    @inline(__always)
    private func update(_ slot: Int, timestamp ts: Int64, fromA: Bool, tcpFlags: UInt8, length: UInt64) {
        let c = columns
        let status = c.status[slot]
        let isTCP = c.proto[slot] == UInt16(TransportProtocol.tcp)
        if isTCP && FlowStatus.isClosed(status) {
            let synOnly = tcpFlags & (TCPFlags.syn | TCPFlags.ack) == TCPFlags.syn
            if synOnly || ts &- c.last[slot] > configuration.tcpCloseLinger {
                export(slot, reason: FlowStatus.closeReason(status))
                start(slot, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length, status: 0)
                return
            }
        } else if ts &- c.last[slot] > idleTimeout(isTCP: isTCP) {
            export(slot, reason: .idle)
            start(slot, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length, status: 0)
            return
        } else if ts &- c.first[slot] > configuration.activeTimeout {
            export(slot, reason: .active)
            let kept = status & (FlowStatus.initiatorIsB | FlowStatus.initiatorFixed) | FlowStatus.continuation
            start(slot, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length, status: kept)
            return
        }
        accumulate(slot, timestamp: ts, fromA: fromA, tcpFlags: tcpFlags, length: length)
    }

    @inline(__always)
    private func accumulate(_ slot: Int, timestamp ts: Int64, fromA: Bool, tcpFlags: UInt8, length: UInt64) {
        let c = columns
        if fromA {
            c.packetsAB[slot] &+= 1; c.bytesAB[slot] &+= length; c.flagsAB[slot] |= tcpFlags
        } else {
            c.packetsBA[slot] &+= 1; c.bytesBA[slot] &+= length; c.flagsBA[slot] |= tcpFlags
        }
        if ts > c.last[slot] { c.last[slot] = ts }
        if ts < c.first[slot] { c.first[slot] = ts }
        guard c.proto[slot] == UInt16(TransportProtocol.tcp), tcpFlags != 0 else { return }
        var status = c.status[slot]
        if tcpFlags & TCPFlags.rst != 0 { status |= FlowStatus.rst }
        if tcpFlags & TCPFlags.fin != 0 { status |= fromA ? FlowStatus.finAB : FlowStatus.finBA }
        if status & FlowStatus.initiatorFixed == 0 && tcpFlags & TCPFlags.syn != 0 {
            // SYN alone: the sender initiates. SYN-ACK: the receiver does.
            let senderIsInitiator = tcpFlags & TCPFlags.ack == 0
            let initiatorIsA = fromA == senderIsInitiator
            status = (status & ~FlowStatus.initiatorIsB) | (initiatorIsA ? 0 : FlowStatus.initiatorIsB)
                | FlowStatus.initiatorFixed
        }
        c.status[slot] = status
    }

    @inline(__always)
    private func idleTimeout(isTCP: Bool) -> Int64 {
        isTCP ? configuration.tcpIdleTimeout : configuration.idleTimeout
    }
}
