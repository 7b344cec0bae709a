import FlowModel

extension FlowTable {
    /// Moves the flow in `e` to ``finished`` with `reason`; the slot keeps its key (the caller either
    /// restarts it or deletes it).
    func export(_ e: UnsafeMutablePointer<FlowEntry>, reason: FlowRecord.EndReason) {
        let f = e.pointee
        let initiatorIsB = f.status & FlowStatus.initiatorIsB != 0
        let isLink = f.proto & 0x100 != 0
        let proto = UInt8(truncatingIfNeeded: f.proto)
        var flags: FlowRecord.Flags = f.status & FlowStatus.continuation != 0 ? [.continuation] : []
        var srcPort = initiatorIsB ? f.bPort : f.aPort
        var dstPort = initiatorIsB ? f.aPort : f.bPort
        if isLink {
            flags.insert(.link)
            dstPort = 0  // srcPort keeps the EtherType
        } else if proto == TransportProtocol.icmp || proto == TransportProtocol.icmpv6 {
            srcPort = 0  // dstPort keeps type << 8 | code
        }
        let a = IPAddress(high: f.aHigh, low: f.aLow)
        let b = IPAddress(high: f.bHigh, low: f.bLow)
        finished.append(FlowRecord(
            src: initiatorIsB ? b : a, dst: initiatorIsB ? a : b, srcPort: srcPort, dstPort: dstPort,
            proto: isLink ? 0 : proto, flags: flags, firstSeen: f.first, lastSeen: f.last,
            packetsOut: initiatorIsB ? f.packetsBA : f.packetsAB,
            bytesOut: initiatorIsB ? f.bytesBA : f.bytesAB,
            packetsIn: initiatorIsB ? f.packetsAB : f.packetsBA,
            bytesIn: initiatorIsB ? f.bytesAB : f.bytesBA,
            tcpFlagsOut: initiatorIsB ? f.flagsBA : f.flagsAB,
            tcpFlagsIn: initiatorIsB ? f.flagsAB : f.flagsBA,
            endReason: reason))
    }

    /// Exports and deletes every flow that has ended by the shard's current time.
    func sweep() {
        let s = slots
        for slot in 0..<s.capacity where s.isLive(slot) {
            let e = s.entries + slot
            let status = e.pointee.status
            let isTCP = e.pointee.proto == UInt16(TransportProtocol.tcp)
            let idle = now &- e.pointee.last
            if isTCP && FlowStatus.isClosed(status) {
                if idle > configuration.tcpCloseLinger { remove(slot, reason: FlowStatus.closeReason(status)) }
            } else if idle > (isTCP ? configuration.tcpIdleTimeout : configuration.idleTimeout) {
                remove(slot, reason: .idle)
            }
        }
        let horizon = now &- configuration.idleTimeout
        if !fragments.isEmpty { fragments = fragments.filter { $0.value.seen >= horizon } }
        nextSweep = now &+ configuration.sweepInterval
        if liveCount * 4 < usedCount && usedCount * 10 > s.capacity { rebuild() }
    }

    /// Exports every open flow (at the end of the input) and empties the table: flows already past their
    /// timeout end as such, the rest as still open at the end of the input.
    func finish() {
        sweep()
        let s = slots
        finished.reserveCapacity(finished.count + liveCount)
        for slot in 0..<s.capacity where s.isLive(slot) {
            let e = s.entries + slot
            let closed = e.pointee.proto == UInt16(TransportProtocol.tcp) && FlowStatus.isClosed(e.pointee.status)
            remove(slot, reason: closed ? FlowStatus.closeReason(e.pointee.status) : .endOfInput)
        }
        fragments.removeAll()
    }

    /// Makes room in a full table: ends the least recently active eighth of its flows (by last packet
    /// time, ties included) with reason `evicted`, as a flow exporter does when its cache is full.
    func evictLeastRecent() {
        let s = slots
        var lasts: [Int64] = []
        lasts.reserveCapacity(liveCount)
        for slot in 0..<s.capacity where s.isLive(slot) { lasts.append(s.entries[slot].last) }
        guard !lasts.isEmpty else { return }
        let quota = max(1, lasts.count / 8)
        let threshold = lasts.nthSmallest(quota - 1)
        for slot in 0..<s.capacity where s.isLive(slot) && s.entries[slot].last <= threshold {
            remove(slot, reason: .evicted)
            evictedCount &+= 1
        }
    }

    /// Exports slot `slot` and marks it deleted.
    private func remove(_ slot: Int, reason: FlowRecord.EndReason) {
        export(slots.entries + slot, reason: reason)
        slots.control[slot] = 1
        liveCount -= 1
    }

    /// Re-inserts every live flow into fresh slots, the power of two above twice the live count (a quarter
    /// to a half full), dropping tombstones.
    func rebuild() {
        let old = slots
        let fresh = FlowSlots(capacity: max(16, (liveCount * 2 + 1).nextPowerOfTwo))
        for slot in 0..<old.capacity where old.isLive(slot) {
            let e = old.entries[slot]
            let hash = FlowHash.key(e.aHigh, e.aLow, e.bHigh, e.bLow, e.aPort, e.bPort, e.proto)
            var target = Int(truncatingIfNeeded: hash) & fresh.mask
            while fresh.control[target] != 0 { target = (target &+ 1) & fresh.mask }
            fresh.control[target] = old.control[slot]
            fresh.entries[target] = e
        }
        old.deallocate()
        slots = fresh
        usedCount = liveCount
    }
}

extension Array where Element == Int64 {
    /// The element that would be at index `k` if the array were sorted (Hoare's quickselect; reorders
    /// the array). `k` must be a valid index.
    mutating func nthSmallest(_ k: Int) -> Int64 {
        var low = 0, high = count - 1
        while low < high {
            let pivot = self[(low + high) / 2]
            var i = low, j = high
            while i <= j {
                while self[i] < pivot { i += 1 }
                while self[j] > pivot { j -= 1 }
                if i <= j { swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { high = j } else if k >= i { low = i } else { return self[k] }
        }
        return self[k]
    }
}
