public import FlowModel

/// How ``FlowPairer`` matches the two directions of a connection.
public struct FlowPairingConfiguration: Sendable, Hashable {
    /// Two records overlap when each starts no later than this many ns after the other ends (exporters
    /// round times to seconds, v9 headers carry whole seconds).
    public var toleranceNs: Int64
    /// A record waits for its reverse until the latest end time seen is this many ns past its own end.
    public var holdNs: Int64
    /// Most records waiting at once; the oldest leave unpaired beyond it.
    public var maximumPending: Int

    /// Creates a configuration; defaults: 2 s tolerance, 10 min hold, one million waiting records.
    public init(toleranceNs: Int64 = 2_000_000_000, holdNs: Int64 = 600_000_000_000, maximumPending: Int = 1 << 20) {
        self.toleranceNs = toleranceNs
        self.holdNs = holdNs
        self.maximumPending = maximumPending
    }
}

/// Pairs unidirectional flow records (NetFlow, IPFIX, nfdump) into bidirectional flows.
///
/// A record A→B is merged with a waiting record B→A of the same protocol and ports whose time span
/// overlaps it (within ``FlowPairingConfiguration/toleranceNs``). The initiator is the side that started
/// first; on a tie, the side sending to the lower port (the service). The merged flow keeps the
/// initiator's counts in the `Out` columns and the responder's in the `In` columns, the union of the
/// times, and the later record's end reason. Records that already carry both directions pass through.
/// A second record of the same direction while one waits sends the waiting one on unpaired.
///
/// Memory is bounded: waiting records live in a recycled pool; a sweep, each time the latest end time
/// seen has moved an eighth of ``FlowPairingConfiguration/holdNs``, sends on the records whose end lies
/// more than `holdNs` before it; more than ``FlowPairingConfiguration/maximumPending`` waiting records
/// send the older half on at once.
public final class FlowPairer {
    /// The configuration in use.
    public let configuration: FlowPairingConfiguration
    /// Flows made of two records.
    public private(set) var paired: UInt64 = 0
    /// Records emitted without a reverse record.
    public private(set) var unpaired: UInt64 = 0

    /// Waiting records (and free entries, listed in `free`).
    private var pool: [FlowRecord] = []
    private var live: [Bool] = []
    private var free: [Int] = []
    private var waiting = PairingTable()
    private var watermark = Int64.min
    private var lastSweep = Int64.min

    /// Creates a pairer.
    public init(configuration: FlowPairingConfiguration = FlowPairingConfiguration()) {
        self.configuration = configuration
    }

    /// Records still waiting for their reverse.
    public var pendingCount: Int { waiting.count }

    @inline(__always)
    private static func key(_ r: FlowRecord) -> PairingTable.Key {
        key(srcHigh: r.src.high, srcLow: r.src.low, dstHigh: r.dst.high, dstLow: r.dst.low,
            srcPort: r.srcPort, dstPort: r.dstPort, proto: r.proto)
    }

    @inline(__always)
    private static func key(srcHigh: UInt64, srcLow: UInt64, dstHigh: UInt64, dstLow: UInt64,
                            srcPort: UInt16, dstPort: UInt16, proto: UInt8) -> PairingTable.Key {
        // ICMP flows carry their key in the destination port only: use it on both sides, so that a request
        // and its reply (keyed alike) find each other.
        let icmp = proto == 1 || proto == 58
        let sport = UInt64(icmp ? dstPort : srcPort)
        return PairingTable.Key(srcHigh: srcHigh, srcLow: srcLow, dstHigh: dstHigh, dstLow: dstLow,
                                portsAndProto: sport << 24 | UInt64(dstPort) << 8 | UInt64(proto))
    }

    /// Takes a batch of records; returns the flows that are complete (paired, or waited long enough).
    ///
    /// Reads the batch's columns directly: a record becomes a ``FlowRecord`` only when it has to wait.
    public func add(_ batch: FlowBatch) -> FlowBatch {
        // Each record leaves at most two flows here (itself merged, or a same-direction record it replaces).
        var out = FlowBatchBuilder(capacity: batch.count * 2)
        // Work on locals: class properties would pay a dynamic exclusivity check on every access.
        var pool = self.pool, live = self.live, free = self.free, waiting = self.waiting
        self.pool = []; self.live = []; self.free = []; self.waiting = PairingTable(capacity: 16)
        var watermark = self.watermark, paired = self.paired, unpaired = self.unpaired
        let tolerance = configuration.toleranceNs
        let srcHigh = batch.srcHigh, srcLow = batch.srcLow, dstHigh = batch.dstHigh, dstLow = batch.dstLow
        let srcPort = batch.srcPort, dstPort = batch.dstPort, proto = batch.proto
        let firstSeen = batch.firstSeen, lastSeen = batch.lastSeen, packetsIn = batch.packetsIn, bytesIn = batch.bytesIn
        let flags = batch.flags, packetsOut = batch.packetsOut, bytesOut = batch.bytesOut
        let tcpFlagsOut = batch.tcpFlagsOut, tcpFlagsIn = batch.tcpFlagsIn, endReason = batch.endReason
        for index in 0..<batch.count {
            let first = firstSeen[index], last = lastSeen[index]
            watermark = max(watermark, last)
            if packetsIn[index] != 0 || bytesIn[index] != 0 {
                out.append(batch[index])
                continue
            }
            let key = Self.key(srcHigh: srcHigh[index], srcLow: srcLow[index], dstHigh: dstHigh[index],
                               dstLow: dstLow[index], srcPort: srcPort[index], dstPort: dstPort[index],
                               proto: proto[index])
            let found = waiting.slot(for: key.reversed)
            if found >= 0 {
                let slot = waiting.value(at: found)
                let other = pool[slot]
                if other.firstSeen <= last &+ tolerance && first <= other.lastSeen &+ tolerance {
                    Self.merge(other, batch, index, into: &out)
                    waiting.removeSlot(found)
                    live[slot] = false
                    free.append(slot)
                    paired += 1
                    continue
                }
            }
            // As `batch[index]` reads it, from the columns already at hand.
            let record = FlowRecord(
                src: IPAddress(high: srcHigh[index], low: srcLow[index]), dst: IPAddress(high: dstHigh[index], low: dstLow[index]),
                srcPort: srcPort[index], dstPort: dstPort[index], proto: proto[index],
                flags: FlowRecord.Flags(rawValue: flags[index]), firstSeen: first, lastSeen: last,
                packetsOut: packetsOut[index], bytesOut: bytesOut[index], packetsIn: 0, bytesIn: 0,
                tcpFlagsOut: tcpFlagsOut[index], tcpFlagsIn: tcpFlagsIn[index],
                endReason: FlowRecord.EndReason(rawValue: endReason[index]) ?? .endOfInput)
            let slot: Int
            if let reused = free.popLast() {
                slot = reused
                pool[slot] = record
                live[slot] = true
            } else {
                slot = pool.count
                pool.append(record)
                live.append(true)
            }
            if let previous = waiting.exchange(slot, for: key) {
                out.append(pool[previous])
                live[previous] = false
                free.append(previous)
                unpaired += 1
            }
        }
        self.pool = pool; self.live = live; self.free = free; self.waiting = waiting
        self.watermark = watermark; self.paired = paired; self.unpaired = unpaired
        var flows = out.build()
        let hold = configuration.holdNs
        if waiting.count > configuration.maximumPending {
            sweep(into: &flows, olderThanHalf: true)
        } else if watermark > lastSweep &+ hold / 8 {
            lastSweep = watermark
            sweep(into: &flows, before: watermark &- hold)
        }
        return flows
    }

    /// Emits every waiting record (end of input), in arrival-slot order.
    public func finish() -> FlowBatch {
        var out = FlowBatch()
        sweep(into: &out, before: .max)
        return out
    }

    /// The end reason of record `index`, as ``FlowBatch/subscript(_:)`` reads it.
    @inline(__always)
    private static func endReason(_ batch: FlowBatch, _ index: Int) -> UInt8 {
        (FlowRecord.EndReason(rawValue: batch.endReason[index]) ?? .endOfInput).rawValue
    }

    /// Appends the bidirectional flow of a waiting record and its reverse, record `index` of `batch`.
    @inline(__always)
    private static func merge(_ waiting: FlowRecord, _ batch: FlowBatch, _ index: Int, into out: inout FlowBatchBuilder) {
        let first = batch.firstSeen[index], last = batch.lastSeen[index]
        let arrivingFirst = first != waiting.firstSeen ? first < waiting.firstSeen
                                                       : batch.dstPort[index] < batch.srcPort[index]
        let firstSeen = min(first, waiting.firstSeen), lastSeen = max(last, waiting.lastSeen)
        if arrivingFirst {
            // The arriving record initiated; the waiting one answered.
            out.append(src: IPAddress(high: batch.srcHigh[index], low: batch.srcLow[index]),
                       dst: IPAddress(high: batch.dstHigh[index], low: batch.dstLow[index]),
                       srcPort: batch.srcPort[index], dstPort: batch.dstPort[index], proto: batch.proto[index],
                       flags: batch.flags[index], firstSeen: firstSeen, lastSeen: lastSeen,
                       packetsOut: batch.packetsOut[index], bytesOut: batch.bytesOut[index],
                       packetsIn: waiting.packetsOut, bytesIn: waiting.bytesOut,
                       tcpFlagsOut: batch.tcpFlagsOut[index], tcpFlagsIn: waiting.tcpFlagsOut,
                       endReason: waiting.lastSeen > last ? waiting.endReason.rawValue : Self.endReason(batch, index))
        } else {
            out.append(src: waiting.src, dst: waiting.dst, srcPort: waiting.srcPort, dstPort: waiting.dstPort,
                       proto: waiting.proto, flags: waiting.flags.rawValue, firstSeen: firstSeen, lastSeen: lastSeen,
                       packetsOut: waiting.packetsOut, bytesOut: waiting.bytesOut,
                       packetsIn: batch.packetsOut[index], bytesIn: batch.bytesOut[index],
                       tcpFlagsOut: waiting.tcpFlagsOut, tcpFlagsIn: batch.tcpFlagsOut[index],
                       endReason: last > waiting.lastSeen ? Self.endReason(batch, index) : waiting.endReason.rawValue)
        }
    }

    /// Sends on the waiting records that ended before `limit`.
    private func sweep(into out: inout FlowBatch, before limit: Int64) {
        for slot in 0..<pool.count where live[slot] && pool[slot].lastSeen < limit {
            evict(slot, into: &out)
        }
        if waiting.count == 0 {
            pool.removeAll(keepingCapacity: true); live.removeAll(keepingCapacity: true); free.removeAll(keepingCapacity: true)
        }
    }

    /// Sends on the older half of the waiting records (by end time).
    private func sweep(into out: inout FlowBatch, olderThanHalf: Bool) {
        var ends = (0..<pool.count).filter { live[$0] }.map { pool[$0].lastSeen }
        ends.sort()
        guard !ends.isEmpty else { return }
        sweep(into: &out, before: ends[ends.count / 2] &+ 1)
    }

    private func evict(_ slot: Int, into out: inout FlowBatch) {
        waiting.remove(Self.key(pool[slot]), ifValue: slot)
        out.append(pool[slot])
        live[slot] = false
        free.append(slot)
        unpaired += 1
    }
}
