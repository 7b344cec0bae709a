internal import Dispatch

/// Finished flows as structure-of-arrays columns, the unit handed from the flow stage to detectors
/// and writers. Column `i` of every array belongs to flow `i`; see ``FlowRecord`` for each field.
public struct FlowBatch: Sendable {
    /// Initiator address, first 64 bits.
    public var srcHigh: [UInt64] = []
    /// Initiator address, last 64 bits.
    public var srcLow: [UInt64] = []
    /// Responder address, first 64 bits.
    public var dstHigh: [UInt64] = []
    /// Responder address, last 64 bits.
    public var dstLow: [UInt64] = []
    /// Initiator port.
    public var srcPort: [UInt16] = []
    /// Responder port.
    public var dstPort: [UInt16] = []
    /// IP protocol number.
    public var proto: [UInt8] = []
    /// ``FlowRecord/Flags`` bits.
    public var flags: [UInt8] = []
    /// First packet time, ns.
    public var firstSeen: [Int64] = []
    /// Last packet time, ns.
    public var lastSeen: [Int64] = []
    /// Initiator packets.
    public var packetsOut: [UInt64] = []
    /// Initiator bytes.
    public var bytesOut: [UInt64] = []
    /// Responder packets.
    public var packetsIn: [UInt64] = []
    /// Responder bytes.
    public var bytesIn: [UInt64] = []
    /// Initiator TCP flags.
    public var tcpFlagsOut: [UInt8] = []
    /// Responder TCP flags.
    public var tcpFlagsIn: [UInt8] = []
    /// ``FlowRecord/EndReason`` raw values.
    public var endReason: [UInt8] = []

    /// Creates an empty batch.
    public init() {}

    /// Creates a batch holding `records`, in order.
    public init(_ records: some Sequence<FlowRecord>) {
        for record in records { append(record) }
    }

    /// The number of flows.
    @inlinable
    public var count: Int { firstSeen.count }

    /// Whether the batch holds no flow.
    @inlinable
    public var isEmpty: Bool { firstSeen.isEmpty }

    /// Appends one flow to every column.
    public mutating func append(_ record: FlowRecord) {
        srcHigh.append(record.src.high)
        srcLow.append(record.src.low)
        dstHigh.append(record.dst.high)
        dstLow.append(record.dst.low)
        srcPort.append(record.srcPort)
        dstPort.append(record.dstPort)
        proto.append(record.proto)
        flags.append(record.flags.rawValue)
        firstSeen.append(record.firstSeen)
        lastSeen.append(record.lastSeen)
        packetsOut.append(record.packetsOut)
        bytesOut.append(record.bytesOut)
        packetsIn.append(record.packetsIn)
        bytesIn.append(record.bytesIn)
        tcpFlagsOut.append(record.tcpFlagsOut)
        tcpFlagsIn.append(record.tcpFlagsIn)
        endReason.append(record.endReason.rawValue)
    }

    /// Appends every flow of `other`.
    public mutating func append(contentsOf other: FlowBatch) {
        srcHigh += other.srcHigh
        srcLow += other.srcLow
        dstHigh += other.dstHigh
        dstLow += other.dstLow
        srcPort += other.srcPort
        dstPort += other.dstPort
        proto += other.proto
        flags += other.flags
        firstSeen += other.firstSeen
        lastSeen += other.lastSeen
        packetsOut += other.packetsOut
        bytesOut += other.bytesOut
        packetsIn += other.packetsIn
        bytesIn += other.bytesIn
        tcpFlagsOut += other.tcpFlagsOut
        tcpFlagsIn += other.tcpFlagsIn
        endReason += other.endReason
    }

    /// Reserves room for `capacity` flows in every column.
    public mutating func reserveCapacity(_ capacity: Int) {
        srcHigh.reserveCapacity(capacity); srcLow.reserveCapacity(capacity)
        dstHigh.reserveCapacity(capacity); dstLow.reserveCapacity(capacity)
        srcPort.reserveCapacity(capacity); dstPort.reserveCapacity(capacity)
        proto.reserveCapacity(capacity); flags.reserveCapacity(capacity)
        firstSeen.reserveCapacity(capacity); lastSeen.reserveCapacity(capacity)
        packetsOut.reserveCapacity(capacity); bytesOut.reserveCapacity(capacity)
        packetsIn.reserveCapacity(capacity); bytesIn.reserveCapacity(capacity)
        tcpFlagsOut.reserveCapacity(capacity); tcpFlagsIn.reserveCapacity(capacity)
        endReason.reserveCapacity(capacity)
    }

    /// Empties every column, keeping storage.
    public mutating func removeAll() {
        self = FlowBatch()
    }

    /// Flow `index` as one value.
    public subscript(index: Int) -> FlowRecord {
        FlowRecord(
            src: IPAddress(high: srcHigh[index], low: srcLow[index]),
            dst: IPAddress(high: dstHigh[index], low: dstLow[index]),
            srcPort: srcPort[index], dstPort: dstPort[index], proto: proto[index],
            flags: FlowRecord.Flags(rawValue: flags[index]),
            firstSeen: firstSeen[index], lastSeen: lastSeen[index],
            packetsOut: packetsOut[index], bytesOut: bytesOut[index],
            packetsIn: packetsIn[index], bytesIn: bytesIn[index],
            tcpFlagsOut: tcpFlagsOut[index], tcpFlagsIn: tcpFlagsIn[index],
            endReason: FlowRecord.EndReason(rawValue: endReason[index]) ?? .endOfInput
        )
    }

    /// Every flow as values, in order.
    public var records: [FlowRecord] { (0..<count).map { self[$0] } }
}

extension FlowBatch {
    /// The flows reordered by first-seen time (ties by last-seen time, then by position), a stable order
    /// that does not depend on how flows were sharded.
    public func sortedByFirstSeen() -> FlowBatch {
        Self.sortedByFirstSeen([self])
    }

    /// The flows of `parts`, one after another, reordered by first-seen time as
    /// ``sortedByFirstSeen()`` orders them (position counts part by part): one gather straight from the
    /// parts, with no concatenated copy in between.
    public static func sortedByFirstSeen(_ parts: [FlowBatch]) -> FlowBatch {
        /// A flow's sort key, laid out inline so comparisons read one sequential array, not five columns.
        struct SortKey {
            var first: Int64, last: Int64, srcLow: UInt64, srcPort: UInt16
            /// The part's number from bit ``partShift`` up, the flow's index in it below.
            var position: Int
        }
        let shift = partShift
        var keys: [SortKey] = []
        keys.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        var sorted = true
        var previous = Int64.min
        for (p, part) in parts.enumerated() {
            for i in 0..<part.count {
                let first = part.firstSeen[i]
                keys.append(SortKey(first: first, last: part.lastSeen[i], srcLow: part.srcLow[i], srcPort: part.srcPort[i],
                                    position: p << shift | i))
                if first <= previous { sorted = false }
                previous = first
            }
        }
        if sorted && parts.count == 1 { return parts[0] }  // strictly rising first-seen times: in order already
        if !sorted {
            keys.sort {
                ($0.first, $0.last, $0.srcLow, $0.srcPort, $0.position) < ($1.first, $1.last, $1.srcLow, $1.srcPort, $1.position)
            }
        }
        return gathered(from: parts, positions: keys.map(\.position))
    }

    /// The flows at `order`, in that order: one gather per column, no record built per flow.
    public func gathered(_ order: [Int]) -> FlowBatch {
        Self.gathered(from: [self], positions: order)
    }

    /// The flows of `parts` merged into one batch by `keys`: `keys[p][i]` is the key of flow `i` of part
    /// `p`, rising within each part; equal keys take the lower part first. One gather per column.
    public static func interleaved(_ parts: [FlowBatch], keys: [[Int]]) -> FlowBatch {
        precondition(parts.count == keys.count && zip(parts, keys).allSatisfy { $0.count == $1.count })
        if parts.count == 1 { return parts[0] }
        var cursors = [Int](repeating: 0, count: parts.count)
        var positions: [Int] = []
        positions.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        while true {
            var best = -1, bestKey = Int.max
            for p in 0..<parts.count where cursors[p] < keys[p].count && (best < 0 || keys[p][cursors[p]] < bestKey) {
                best = p
                bestKey = keys[p][cursors[p]]
            }
            if best < 0 { break }
            positions.append(best << partShift | cursors[best])
            cursors[best] += 1
        }
        return gathered(from: parts, positions: positions)
    }

    /// The bit where a position's part number starts (below it, the flow's index in the part).
    private static let partShift = 40

    /// The flows at `positions` (part number << ``partShift`` | index in the part) of `parts`, in that
    /// order: one gather per column.
    private static func gathered(from parts: [FlowBatch], positions: [Int]) -> FlowBatch {
        let shift = partShift, mask = (1 << partShift) - 1
        func gather<T>(_ columns: [[T]]) -> [T] {
            if columns.count == 1 {
                return columns[0].withUnsafeBufferPointer { column in positions.map { column[$0 & mask] } }
            }
            return positions.map { columns[$0 >> shift][$0 & mask] }
        }
        func column<T>(_ path: WritableKeyPath<FlowBatch, [T]>) -> ColumnFill {
            ColumnFill(path) { gather(parts.map { $0[keyPath: path] }) }
        }
        return assembled([
            column(\.srcHigh), column(\.srcLow), column(\.dstHigh), column(\.dstLow), column(\.srcPort),
            column(\.dstPort), column(\.proto), column(\.flags), column(\.firstSeen), column(\.lastSeen),
            column(\.packetsOut), column(\.bytesOut), column(\.packetsIn), column(\.bytesIn),
            column(\.tcpFlagsOut), column(\.tcpFlagsIn), column(\.endReason),
        ], sideBySide: positions.count >= Self.parallelGatherThreshold)
    }

    /// One column of a batch being assembled: filling it in a batch, and moving it from one batch into
    /// another.
    struct ColumnFill {
        let fill: (inout FlowBatch) -> Void
        let move: (inout FlowBatch, FlowBatch) -> Void

        /// The column at `path`, made by `make`.
        init<T>(_ path: WritableKeyPath<FlowBatch, [T]>, _ make: @escaping () -> [T]) {
            fill = { $0[keyPath: path] = make() }
            move = { $0[keyPath: path] = $1[keyPath: path] }
        }
    }

    /// A batch with the columns `columns` make. With `sideBySide` (many flows: the end-of-input flush)
    /// each column is made on a task of its own, in a batch of its own, then moved into one.
    static func assembled(_ columns: [ColumnFill], sideBySide: Bool) -> FlowBatch {
        var result = FlowBatch()
        guard sideBySide else {
            for column in columns { column.fill(&result) }
            return result
        }
        let filled = UnsafeMutableBufferPointer<FlowBatch>.allocate(capacity: columns.count)
        filled.initialize(repeating: FlowBatch())
        defer { filled.deinitialize(); filled.deallocate() }
        nonisolated(unsafe) let output = filled  // invariant: task i writes output[i] only
        nonisolated(unsafe) let tasks = columns  // the closures only read what they captured
        DispatchQueue.concurrentPerform(iterations: tasks.count) { tasks[$0].fill(&output[$0]) }
        for (i, column) in columns.enumerated() { column.move(&result, filled[i]) }
        return result
    }

    /// From this many flows on, ``gathered(from:positions:)`` gathers its columns concurrently.
    public static let parallelGatherThreshold = 1 << 16
}
