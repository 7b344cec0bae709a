import FlowModel

extension FlowTable {
    /// Moves slot `slot`'s flow to ``finished`` with `reason`; the slot keeps its key (the caller either
    /// restarts it or deletes it).
    func export(_ slot: Int, reason: FlowRecord.EndReason) {
        let c = columns
        let status = c.status[slot]
        let initiatorIsB = status & FlowStatus.initiatorIsB != 0
        let proto16 = c.proto[slot]
        let isLink = proto16 & 0x100 != 0
        let proto = UInt8(truncatingIfNeeded: proto16)
        var flags: FlowRecord.Flags = status & FlowStatus.continuation != 0 ? [.continuation] : []
        var srcPort = initiatorIsB ? c.bPort[slot] : c.aPort[slot]
        var dstPort = initiatorIsB ? c.aPort[slot] : c.bPort[slot]
        if isLink {
            flags.insert(.link)
            dstPort = 0  // srcPort keeps the EtherType
        } else if proto == TransportProtocol.icmp || proto == TransportProtocol.icmpv6 {
            srcPort = 0  // dstPort keeps type << 8 | code
        }
        let a = IPAddress(high: c.aHigh[slot], low: c.aLow[slot])
        let b = IPAddress(high: c.bHigh[slot], low: c.bLow[slot])
        finished.append(FlowRecord(
            src: initiatorIsB ? b : a, dst: initiatorIsB ? a : b, srcPort: srcPort, dstPort: dstPort,
            proto: isLink ? 0 : proto, flags: flags, firstSeen: c.first[slot], lastSeen: c.last[slot],
            packetsOut: initiatorIsB ? c.packetsBA[slot] : c.packetsAB[slot],
            bytesOut: initiatorIsB ? c.bytesBA[slot] : c.bytesAB[slot],
            packetsIn: initiatorIsB ? c.packetsAB[slot] : c.packetsBA[slot],
            bytesIn: initiatorIsB ? c.bytesAB[slot] : c.bytesBA[slot],
            tcpFlagsOut: initiatorIsB ? c.flagsBA[slot] : c.flagsAB[slot],
            tcpFlagsIn: initiatorIsB ? c.flagsAB[slot] : c.flagsBA[slot],
            endReason: reason))
    }

    /// Exports and deletes every flow that has ended by the shard's current time.
    func sweep() {
        let c = columns
        for slot in 0..<c.capacity where c.hash[slot] > 1 {
            let status = c.status[slot]
            let isTCP = c.proto[slot] == UInt16(TransportProtocol.tcp)
            let idle = now &- c.last[slot]
            if isTCP && FlowStatus.isClosed(status) {
                if idle > configuration.tcpCloseLinger { remove(slot, reason: FlowStatus.closeReason(status)) }
            } else if idle > (isTCP ? configuration.tcpIdleTimeout : configuration.idleTimeout) {
                remove(slot, reason: .idle)
            }
        }
        let horizon = now &- configuration.idleTimeout
        if !fragments.isEmpty { fragments = fragments.filter { $0.value.seen >= horizon } }
        nextSweep = now &+ configuration.sweepInterval
        if liveCount * 4 < usedCount && usedCount * 10 > c.capacity { rebuild() }
    }

    /// Exports every open flow (at the end of the input) and empties the table: flows already past their
    /// timeout end as such, the rest as still open at the end of the input.
    func finish() {
        sweep()
        let c = columns
        for slot in 0..<c.capacity where c.hash[slot] > 1 {
            let status = c.status[slot]
            let closed = c.proto[slot] == UInt16(TransportProtocol.tcp) && FlowStatus.isClosed(status)
            remove(slot, reason: closed ? FlowStatus.closeReason(status) : .endOfInput)
        }
        fragments.removeAll()
    }

    /// Exports slot `slot` and marks it deleted.
    private func remove(_ slot: Int, reason: FlowRecord.EndReason) {
        export(slot, reason: reason)
        columns.hash[slot] = 1
        liveCount -= 1
    }

    /// Re-inserts every live flow into fresh columns sized for twice the live count, dropping tombstones.
    func rebuild() {
        let old = columns
        let fresh = FlowColumns(capacity: max(16, (liveCount * 2 + 1).nextPowerOfTwo * 2))
        for slot in 0..<old.capacity where old.hash[slot] > 1 {
            var target = Int(truncatingIfNeeded: old.hash[slot]) & fresh.mask
            while fresh.hash[target] != 0 { target = (target &+ 1) & fresh.mask }
            old.move(slot, to: fresh, target)
        }
        old.deallocate()
        columns = fresh
        usedCount = liveCount
    }
}
