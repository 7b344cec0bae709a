/// Fills a ``FlowBatch`` of known maximum size through plain pointer stores, then hands it over.
///
/// Appending to the 17 arrays of a ``FlowBatch`` one flow at a time pays a uniqueness check and a
/// capacity check per column per flow; hot loops that know their maximum count (a decoded block, a
/// pairing step) write here instead and copy each column out once.
public struct FlowBatchBuilder: ~Copyable {
    /// Flows the builder has room for.
    public let capacity: Int
    /// Flows appended so far.
    @inlinable public var count: Int { _count }
    @usableFromInline var _count = 0
    /// The columns, allocated here, written through by position.
    @usableFromInline let writer: FlowColumnWriter

    /// Creates a builder with room for `capacity` flows.
    public init(capacity: Int) {
        let n = max(capacity, 1)
        self.capacity = capacity
        writer = FlowColumnWriter(
            capacity: capacity, srcHigh: .allocate(capacity: n), srcLow: .allocate(capacity: n),
            dstHigh: .allocate(capacity: n), dstLow: .allocate(capacity: n), srcPort: .allocate(capacity: n),
            dstPort: .allocate(capacity: n), proto: .allocate(capacity: n), flags: .allocate(capacity: n),
            firstSeen: .allocate(capacity: n), lastSeen: .allocate(capacity: n), packetsOut: .allocate(capacity: n),
            bytesOut: .allocate(capacity: n), packetsIn: .allocate(capacity: n), bytesIn: .allocate(capacity: n),
            tcpFlagsOut: .allocate(capacity: n), tcpFlagsIn: .allocate(capacity: n), endReason: .allocate(capacity: n))
    }

    deinit {
        let c = writer
        c.srcHigh.deallocate(); c.srcLow.deallocate(); c.dstHigh.deallocate(); c.dstLow.deallocate()
        c.srcPort.deallocate(); c.dstPort.deallocate(); c.proto.deallocate(); c.flags.deallocate()
        c.tcpFlagsOut.deallocate(); c.tcpFlagsIn.deallocate(); c.endReason.deallocate()
        c.firstSeen.deallocate(); c.lastSeen.deallocate()
        c.packetsOut.deallocate(); c.bytesOut.deallocate(); c.packetsIn.deallocate(); c.bytesIn.deallocate()
    }

    /// Whether another flow fits.
    @inlinable
    public var hasRoom: Bool { _count < capacity }

    /// Appends one flow; the caller checks ``hasRoom`` (a full builder traps).
    @inlinable
    public mutating func append(
        src: IPAddress, dst: IPAddress, srcPort sport: UInt16, dstPort dport: UInt16, proto p: UInt8, flags f: UInt8,
        firstSeen first: Int64, lastSeen last: Int64, packetsOut po: UInt64, bytesOut bo: UInt64,
        packetsIn pi: UInt64, bytesIn bi: UInt64, tcpFlagsOut fo: UInt8, tcpFlagsIn fi: UInt8, endReason e: UInt8
    ) {
        precondition(_count < capacity, "FlowBatchBuilder is full")
        write(at: _count, src: src, dst: dst, srcPort: sport, dstPort: dport, proto: p, flags: f, firstSeen: first,
              lastSeen: last, packetsOut: po, bytesOut: bo, packetsIn: pi, bytesIn: bi, tcpFlagsOut: fo,
              tcpFlagsIn: fi, endReason: e)
        _count &+= 1
    }

    /// Writes one flow at position `i` (below ``capacity``) of a builder filled by position rather
    /// than appended to: workers that own disjoint positions may write side by side, and
    /// ``build(keeping:)`` then takes the positions written. ``count`` does not change.
    @inlinable
    public func write(
        at i: Int, src: IPAddress, dst: IPAddress, srcPort sport: UInt16, dstPort dport: UInt16, proto p: UInt8,
        flags f: UInt8, firstSeen first: Int64, lastSeen last: Int64, packetsOut po: UInt64, bytesOut bo: UInt64,
        packetsIn pi: UInt64, bytesIn bi: UInt64, tcpFlagsOut fo: UInt8, tcpFlagsIn fi: UInt8, endReason e: UInt8
    ) {
        writer.write(at: i, src: src, dst: dst, srcPort: sport, dstPort: dport, proto: p, flags: f, firstSeen: first,
                     lastSeen: last, packetsOut: po, bytesOut: bo, packetsIn: pi, bytesIn: bi, tcpFlagsOut: fo,
                     tcpFlagsIn: fi, endReason: e)
    }

    /// Appends `record`.
    @inlinable
    public mutating func append(_ record: FlowRecord) {
        precondition(_count < capacity, "FlowBatchBuilder is full")
        write(at: _count, record)
        _count &+= 1
    }

    /// Writes `record` at position `i`, as ``write(at:src:dst:srcPort:dstPort:proto:flags:firstSeen:lastSeen:packetsOut:bytesOut:packetsIn:bytesIn:tcpFlagsOut:tcpFlagsIn:endReason:)`` does.
    @inlinable
    public func write(at i: Int, _ record: FlowRecord) {
        writer.write(at: i, record)
    }

    /// The flows appended, as a batch: each column copied out once (side by side for many flows, as the
    /// end-of-input flush has: copying 17 columns of 400 k flows on one core left the other idle).
    public consuming func build() -> FlowBatch {
        let n = _count, c = writer
        func copy<T>(_ base: UnsafeMutablePointer<T>) -> () -> [T] { { Array(UnsafeBufferPointer(start: base, count: n)) } }
        return FlowBatch.assembled([
            .init(\.srcHigh, copy(c.srcHigh)), .init(\.srcLow, copy(c.srcLow)), .init(\.dstHigh, copy(c.dstHigh)),
            .init(\.dstLow, copy(c.dstLow)), .init(\.srcPort, copy(c.srcPort)), .init(\.dstPort, copy(c.dstPort)),
            .init(\.proto, copy(c.proto)), .init(\.flags, copy(c.flags)), .init(\.firstSeen, copy(c.firstSeen)),
            .init(\.lastSeen, copy(c.lastSeen)), .init(\.packetsOut, copy(c.packetsOut)),
            .init(\.bytesOut, copy(c.bytesOut)), .init(\.packetsIn, copy(c.packetsIn)), .init(\.bytesIn, copy(c.bytesIn)),
            .init(\.tcpFlagsOut, copy(c.tcpFlagsOut)), .init(\.tcpFlagsIn, copy(c.tcpFlagsIn)),
            .init(\.endReason, copy(c.endReason)),
        ], sideBySide: n >= FlowBatch.parallelGatherThreshold)
    }

    /// The flows written at positions `0..<count` (below ``capacity``) with ``write(at:_:)`` or its
    /// field-by-field form, as a batch: for builders filled by position, whose ``count`` stays 0.
    public consuming func build(written count: Int) -> FlowBatch {
        precondition(count >= 0 && count <= capacity, "FlowBatchBuilder holds \(capacity) positions, not \(count)")
        _count = count
        return build()
    }

    /// The flows written at the positions `kept` marks (with ``write(at:src:dst:srcPort:dstPort:proto:flags:firstSeen:lastSeen:packetsOut:bytesOut:packetsIn:bytesIn:tcpFlagsOut:tcpFlagsIn:endReason:)``),
    /// in position order; `kept` has ``capacity`` entries. Each column is compacted in place (one
    /// sequential pass), then copied out as ``build()`` does.
    public consuming func build(keeping kept: UnsafeBufferPointer<Bool>) -> FlowBatch {
        precondition(kept.count == capacity)
        // The kept positions once, without a branch per position; then one branch-free pass per column.
        let positions = UnsafeMutablePointer<Int>.allocate(capacity: max(kept.count, 1))
        defer { positions.deallocate() }
        var n = 0
        for i in 0..<kept.count {
            positions[n] = i
            n &+= kept[i] ? 1 : 0
        }
        func compact<T>(_ base: UnsafeMutablePointer<T>) {
            for w in 0..<n { base[w] = base[positions[w]] }
        }
        let c = writer
        compact(c.srcHigh); compact(c.srcLow); compact(c.dstHigh); compact(c.dstLow)
        compact(c.srcPort); compact(c.dstPort); compact(c.proto); compact(c.flags)
        compact(c.firstSeen); compact(c.lastSeen)
        compact(c.packetsOut); compact(c.bytesOut); compact(c.packetsIn); compact(c.bytesIn)
        compact(c.tcpFlagsOut); compact(c.tcpFlagsIn); compact(c.endReason)
        _count = n
        return build()
    }
}
