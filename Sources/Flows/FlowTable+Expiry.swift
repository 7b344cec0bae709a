import FlowModel

extension FlowTable {
    /// Moves the flow in `e` to ``finished`` with `reason`; the slot keeps its key (the caller either
    /// restarts it or deletes it).
    func export(_ e: UnsafeMutablePointer<FlowEntry>, reason: FlowRecord.EndReason) {
        finished.append(record(of: e, reason: reason))
    }

    /// The flow in `e` as a record ending with `reason`, oriented from its initiator.
    @inline(__always)
    func record(of e: UnsafeMutablePointer<FlowEntry>, reason: FlowRecord.EndReason) -> FlowRecord {
        let f = e.pointee
        let h = slots.highs(of: e)
        let initiatorIsB = f.status & FlowStatus.initiatorIsB != 0
        let isLink = f.status & FlowStatus.link != 0
        let proto = f.proto
        var flags: FlowRecord.Flags = f.status & FlowStatus.continuation != 0 ? [.continuation] : []
        var srcPort = initiatorIsB ? f.bPort : f.aPort
        var dstPort = initiatorIsB ? f.aPort : f.bPort
        if isLink {
            flags.insert(.link)
            dstPort = 0  // srcPort keeps the EtherType
        } else if proto == TransportProtocol.icmp || proto == TransportProtocol.icmpv6 {
            srcPort = 0  // dstPort keeps type << 8 | code
        }
        let a = IPAddress(high: h.a, low: f.aLow)
        let b = IPAddress(high: h.b, low: f.bLow)
        return FlowRecord(
            src: initiatorIsB ? b : a, dst: initiatorIsB ? a : b, srcPort: srcPort, dstPort: dstPort,
            proto: isLink ? 0 : proto, flags: flags, firstSeen: f.first, lastSeen: f.last,
            packetsOut: UInt64(initiatorIsB ? f.packetsBA : f.packetsAB),
            bytesOut: initiatorIsB ? f.bytesBA : f.bytesAB,
            packetsIn: UInt64(initiatorIsB ? f.packetsAB : f.packetsBA),
            bytesIn: initiatorIsB ? f.bytesAB : f.bytesBA,
            tcpFlagsOut: initiatorIsB ? f.flagsBA : f.flagsAB,
            tcpFlagsIn: initiatorIsB ? f.flagsAB : f.flagsBA,
            endReason: reason)
    }

    /// Why the flow in `e` has ended by `now`, or `nil` while it goes on: a closed TCP connection once its
    /// linger is over (at once with `closedEndsNow`, at the end of the input), any other flow once idle
    /// past its timeout. The one rule for ``sweep()`` and ``finish(pieces:)``.
    @inline(__always)
    static func endReason(_ e: UnsafeMutablePointer<FlowEntry>, now: Int64, configuration: FlowConfiguration,
                          closedEndsNow: Bool) -> FlowRecord.EndReason? {
        let status = e.pointee.status
        let isTCP = e.pointee.proto == TransportProtocol.tcp
        let idle = now &- e.pointee.last
        if isTCP && FlowStatus.isClosed(status) {
            return closedEndsNow || idle > configuration.tcpCloseLinger ? FlowStatus.closeReason(status) : nil
        }
        return idle > (isTCP ? configuration.tcpIdleTimeout : configuration.idleTimeout) ? .idle : nil
    }

    /// Exports and deletes every flow that has ended by the shard's current time.
    func sweep() {
        let s = slots
        for slot in 0..<s.capacity where s.isLive(slot) {
            if let reason = Self.endReason(s.entries + slot, now: now, configuration: configuration, closedEndsNow: false) {
                remove(slot, reason: reason)
            }
        }
        let horizon = now &- configuration.idleTimeout
        if !fragments.isEmpty { fragments = fragments.filter { $0.value.seen >= horizon } }
        nextSweep = now &+ configuration.sweepInterval
        if liveCount * 4 < usedCount && usedCount * 10 > s.capacity { rebuild() }
    }

    /// Exports every open flow (at the end of the input) and empties the table: flows already past their
    /// timeout end as such (as a sweep would end them now), the rest as still open at the end of the input.
    ///
    /// On a short capture every flow leaves here at once, so the slots are split into `pieces` ranges
    /// exported side by side into one set of plain columns: the pieces first count their live slots, then
    /// each writes its flows at its own offset, so the columns are copied out once (appending the pieces'
    /// batches to each other copied all of them again, into fresh pages, on one core). The flows come out
    /// in slot order whatever the number of pieces.
    func finish(pieces: Int = 1) {
        finish(slots: 0..<slots.capacity, pieces: pieces)
        fragments.removeAll()
    }

    /// Exports the open flows of slots `slotRange` as ``finish(pieces:)`` exports all of them: called range
    /// after range, the end-of-input flush reaches the sinks a block at a time, and each block's memory
    /// serves the next (``FlowAssembler/finish(parallelism:blockSlots:deliver:)``).
    func finish(slots slotRange: Range<Int>, pieces: Int) {
        nonisolated(unsafe) let s = slots  // piece p writes the control bytes of its own slot range only
        let now = self.now, configuration = self.configuration
        let count = max(1, min(pieces, slotRange.count >> 12))
        let offsets = UnsafeMutableBufferPointer<Int>.allocate(capacity: count + 1)
        offsets.initialize(repeating: 0)
        defer { offsets.deallocate() }
        nonisolated(unsafe) let starts = offsets  // invariant: piece p writes starts[p + 1] only, then all read
        let base = slotRange.lowerBound, width = slotRange.count
        let range: @Sendable (Int) -> Range<Int> = { (base + width * $0 / count)..<(base + width * ($0 + 1) / count) }
        forEachSideBySide(count) { piece in
            var live = 0
            for slot in range(piece) where s.isLive(slot) { live &+= 1 }
            starts[piece + 1] = live
        }
        for piece in 0..<count { offsets[piece + 1] += offsets[piece] }
        nonisolated(unsafe) let table = self  // the pieces only read entries (record(of:) reads, never writes)
        let total = offsets[count]
        // Written in place into the batch's columns: a builder's columns copied out were 43 MB more of fresh
        // pages on the bulk capture's tail.
        let flows = FlowBatch.filling(capacity: total) { out in  // each piece writes its own positions
            forEachSideBySide(count) { piece in
                var position = starts[piece]
                for slot in range(piece) where s.isLive(slot) {
                    let e = s.entries + slot
                    let reason = FlowTable.endReason(e, now: now, configuration: configuration, closedEndsNow: true)
                    out.write(at: position, table.record(of: e, reason: reason ?? .endOfInput))
                    position &+= 1
                    s.control[slot] = 1
                }
            }
            return total
        }
        liveCount -= total
        if finished.isEmpty { finished = flows } else { finished.append(contentsOf: flows) }
    }

    /// Hands back the entry memory of slots `slotRange` once ``finish(slots:pieces:)`` exported them (every
    /// flow there has ended): on the end-of-input flush the table's tens of MB go back block by block, and
    /// the detectors' memory for those flows takes the same, still warm, pages rather than fresh ones.
    func releaseExported(slots slotRange: Range<Int>) {
        slots.discardEntries(of: slotRange)
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
        let capacity = max(16, (liveCount * 2 + 1).nextPowerOfTwo)
        if capacity == slots.capacity * 2 { return growInPlace() }
        let old = slots
        let fresh = FlowSlots(capacity: capacity)
        for slot in 0..<old.capacity where old.isLive(slot) {
            let e = old.entries[slot]
            let hash = old.hash(ofSlot: slot)
            var target = Int(truncatingIfNeeded: hash) & fresh.mask
            while fresh.control[target] != 0 { target = (target &+ 1) & fresh.mask }
            fresh.control[target] = old.control[slot]
            fresh.entries[target] = e
            if e.status & FlowStatus.wide != 0 { fresh.highs[target] = old.highs[slot] }
        }
        old.deallocate()
        slots = fresh
        usedCount = liveCount
    }

    /// A control byte marking a flow of the old half still to be placed by ``growInPlace()``.
    private static let unplaced: UInt8 = 2

    /// Doubles the slots where they are (``FlowSlots/doubled()``) and re-places every flow, dropping
    /// tombstones.
    ///
    /// A table rebuilt into fresh slots touched the whole new table's memory as new pages, and on this
    /// kind of VM the first touch of a page is a host-side fault: on a bulk capture right after another
    /// process freed a gigabyte, the rebuilds' page zeroing was 17 % of the run. Growing in place touches
    /// only the new half.
    ///
    /// Every flow of the old half is marked unplaced; then each, in slot order, goes to the first slot from
    /// its home that is not yet placed: itself (it stays), an empty one (it moves), or another unplaced flow
    /// (the two swap, and the other is placed next). Placed slots never change again and a flow is placed
    /// with only placed slots between its home and it, so every flow stays reachable from its home.
    private func growInPlace() {
        let half = slots.capacity
        slots = slots.doubled()
        let s = slots
        for slot in 0..<half { s.control[slot] = s.isLive(slot) ? Self.unplaced : 0 }
        for slot in 0..<half where s.control[slot] == Self.unplaced {
            while true {
                let e = s.entries[slot]
                let hash = s.hash(ofSlot: slot)
                var target = Int(truncatingIfNeeded: hash) & s.mask
                while s.isLive(target) { target = (target &+ 1) & s.mask }
                if target == slot {
                    s.control[slot] = FlowSlots.tag(hash)
                    break
                }
                if s.control[target] == 0 {
                    s.entries[target] = e
                    if e.status & FlowStatus.wide != 0 { s.highs[target] = s.highs[slot] }
                    s.control[target] = FlowSlots.tag(hash)
                    s.control[slot] = 0
                    break
                }
                // Another unplaced flow: it takes this slot and is placed in the next round.
                if (e.status | s.entries[target].status) & FlowStatus.wide != 0 {
                    (s.highs[slot], s.highs[target]) = (s.highs[target], s.highs[slot])
                }
                s.entries[slot] = s.entries[target]
                s.entries[target] = e
                s.control[target] = FlowSlots.tag(hash)
            }
        }
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
