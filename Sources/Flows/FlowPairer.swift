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
///
/// Memory is bounded: records wait in arrival order and leave unpaired when the latest end time seen
/// has moved ``FlowPairingConfiguration/holdNs`` past them, or when more than
/// ``FlowPairingConfiguration/maximumPending`` wait.
public final class FlowPairer {
    /// The configuration in use.
    public let configuration: FlowPairingConfiguration
    /// Flows made of two records.
    public private(set) var paired: UInt64 = 0
    /// Records emitted without a reverse record.
    public private(set) var unpaired: UInt64 = 0

    /// Waiting records; `slots[i]` has sequence number `base + i`, `nil` once paired.
    private var slots: [FlowRecord?] = []
    private var head = 0
    private var base = 0
    private var waiting = PairingTable()
    private var watermark = Int64.min

    /// Creates a pairer.
    public init(configuration: FlowPairingConfiguration = FlowPairingConfiguration()) {
        self.configuration = configuration
    }

    /// Records still waiting for their reverse.
    public var pendingCount: Int { waiting.count }

    @inline(__always)
    private static func key(_ r: FlowRecord) -> PairingTable.Key {
        PairingTable.Key(srcHigh: r.src.high, srcLow: r.src.low, dstHigh: r.dst.high, dstLow: r.dst.low,
                         portsAndProto: UInt64(r.srcPort) << 24 | UInt64(r.dstPort) << 8 | UInt64(r.proto))
    }

    /// Takes a batch of records; returns the flows that are complete (paired, or waited long enough).
    public func add(_ batch: FlowBatch) -> FlowBatch {
        var out = FlowBatchBuilder(capacity: batch.count)  // each record leaves at most one flow here
        // Work on locals: class properties would pay a dynamic exclusivity check on every access.
        var slots = self.slots, waiting = self.waiting
        self.slots = []
        self.waiting = PairingTable(capacity: 16)
        var watermark = self.watermark, paired = self.paired
        let base = self.base
        for index in 0..<batch.count {
            let record = batch[index]
            watermark = max(watermark, record.lastSeen)
            if record.packetsIn != 0 || record.bytesIn != 0 {
                out.append(record)
                continue
            }
            let key = Self.key(record)
            let reverse = key.reversed
            if let sequence = waiting.value(for: reverse), let other = slots[sequence - base], overlaps(other, record) {
                slots[sequence - base] = nil
                waiting.remove(reverse)
                out.append(merge(other, record))
                paired += 1
                continue
            }
            waiting.set(base + slots.count, for: key)
            slots.append(record)
        }
        self.slots = slots
        self.waiting = waiting
        self.watermark = watermark
        self.paired = paired
        var flows = out.build()
        release(into: &flows, all: false)
        return flows
    }

    /// Emits every waiting record (end of input).
    public func finish() -> FlowBatch {
        var out = FlowBatch()
        release(into: &out, all: true)
        return out
    }

    private func overlaps(_ a: FlowRecord, _ b: FlowRecord) -> Bool {
        let tolerance = configuration.toleranceNs
        return a.firstSeen <= b.lastSeen &+ tolerance && b.firstSeen <= a.lastSeen &+ tolerance
    }

    /// One bidirectional flow from a waiting record and its reverse.
    private func merge(_ waitingRecord: FlowRecord, _ arriving: FlowRecord) -> FlowRecord {
        let arrivingFirst: Bool
        if arriving.firstSeen != waitingRecord.firstSeen {
            arrivingFirst = arriving.firstSeen < waitingRecord.firstSeen
        } else {
            arrivingFirst = arriving.dstPort < arriving.srcPort
        }
        let (initiator, responder) = arrivingFirst ? (arriving, waitingRecord) : (waitingRecord, arriving)
        var flow = initiator
        flow.firstSeen = min(initiator.firstSeen, responder.firstSeen)
        flow.lastSeen = max(initiator.lastSeen, responder.lastSeen)
        flow.packetsIn = responder.packetsOut
        flow.bytesIn = responder.bytesOut
        flow.tcpFlagsIn = responder.tcpFlagsOut
        flow.endReason = responder.lastSeen > initiator.lastSeen ? responder.endReason : initiator.endReason
        return flow
    }

    /// Emits waiting records from the oldest while they have waited long enough (or all of them).
    private func release(into out: inout FlowBatch, all: Bool) {
        let hold = configuration.holdNs
        while head < slots.count {
            guard let record = slots[head] else { head += 1; continue }
            let tooMany = slots.count - head > configuration.maximumPending
            guard all || tooMany || record.lastSeen &+ hold < watermark else { break }
            waiting.remove(Self.key(record), ifValue: base + head)
            slots[head] = nil
            out.append(record)
            unpaired += 1
            head += 1
        }
        if head > 4096 && head * 2 > slots.count {
            slots.removeFirst(head)
            base += head
            head = 0
        }
    }
}
