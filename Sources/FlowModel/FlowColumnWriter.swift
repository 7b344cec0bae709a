/// The 17 columns of flows being written by position: a ``FlowBatchBuilder``'s, or a ``FlowBatch``'s own
/// while ``FlowBatch/filling(capacity:_:)`` fills it in place. It owns nothing: copies write the same
/// memory, so workers that own disjoint positions may write side by side (hence `@unchecked Sendable`).
@frozen
public struct FlowColumnWriter: @unchecked Sendable {
    /// Positions there is room for.
    public let capacity: Int
    @usableFromInline let srcHigh, srcLow, dstHigh, dstLow: UnsafeMutablePointer<UInt64>
    @usableFromInline let srcPort, dstPort: UnsafeMutablePointer<UInt16>
    @usableFromInline let proto, flags, tcpFlagsOut, tcpFlagsIn, endReason: UnsafeMutablePointer<UInt8>
    @usableFromInline let firstSeen, lastSeen: UnsafeMutablePointer<Int64>
    @usableFromInline let packetsOut, bytesOut, packetsIn, bytesIn: UnsafeMutablePointer<UInt64>

    @inlinable
    init(capacity: Int, srcHigh: UnsafeMutablePointer<UInt64>, srcLow: UnsafeMutablePointer<UInt64>,
         dstHigh: UnsafeMutablePointer<UInt64>, dstLow: UnsafeMutablePointer<UInt64>,
         srcPort: UnsafeMutablePointer<UInt16>, dstPort: UnsafeMutablePointer<UInt16>,
         proto: UnsafeMutablePointer<UInt8>, flags: UnsafeMutablePointer<UInt8>,
         firstSeen: UnsafeMutablePointer<Int64>, lastSeen: UnsafeMutablePointer<Int64>,
         packetsOut: UnsafeMutablePointer<UInt64>, bytesOut: UnsafeMutablePointer<UInt64>,
         packetsIn: UnsafeMutablePointer<UInt64>, bytesIn: UnsafeMutablePointer<UInt64>,
         tcpFlagsOut: UnsafeMutablePointer<UInt8>, tcpFlagsIn: UnsafeMutablePointer<UInt8>,
         endReason: UnsafeMutablePointer<UInt8>) {
        self.capacity = capacity
        self.srcHigh = srcHigh; self.srcLow = srcLow; self.dstHigh = dstHigh; self.dstLow = dstLow
        self.srcPort = srcPort; self.dstPort = dstPort; self.proto = proto; self.flags = flags
        self.firstSeen = firstSeen; self.lastSeen = lastSeen
        self.packetsOut = packetsOut; self.bytesOut = bytesOut; self.packetsIn = packetsIn; self.bytesIn = bytesIn
        self.tcpFlagsOut = tcpFlagsOut; self.tcpFlagsIn = tcpFlagsIn; self.endReason = endReason
    }

    /// Writes one flow at position `i` (below ``capacity``).
    @inlinable
    public func write(
        at i: Int, src: IPAddress, dst: IPAddress, srcPort sport: UInt16, dstPort dport: UInt16, proto p: UInt8,
        flags f: UInt8, firstSeen first: Int64, lastSeen last: Int64, packetsOut po: UInt64, bytesOut bo: UInt64,
        packetsIn pi: UInt64, bytesIn bi: UInt64, tcpFlagsOut fo: UInt8, tcpFlagsIn fi: UInt8, endReason e: UInt8
    ) {
        precondition(i >= 0 && i < capacity, "flow column position out of range")
        srcHigh[i] = src.high; srcLow[i] = src.low; dstHigh[i] = dst.high; dstLow[i] = dst.low
        srcPort[i] = sport; dstPort[i] = dport; proto[i] = p; flags[i] = f
        firstSeen[i] = first; lastSeen[i] = last
        packetsOut[i] = po; bytesOut[i] = bo; packetsIn[i] = pi; bytesIn[i] = bi
        tcpFlagsOut[i] = fo; tcpFlagsIn[i] = fi; endReason[i] = e
    }

    /// Writes `record` at position `i`.
    @inlinable
    public func write(at i: Int, _ record: FlowRecord) {
        write(at: i, src: record.src, dst: record.dst, srcPort: record.srcPort, dstPort: record.dstPort,
              proto: record.proto, flags: record.flags.rawValue, firstSeen: record.firstSeen,
              lastSeen: record.lastSeen, packetsOut: record.packetsOut, bytesOut: record.bytesOut,
              packetsIn: record.packetsIn, bytesIn: record.bytesIn, tcpFlagsOut: record.tcpFlagsOut,
              tcpFlagsIn: record.tcpFlagsIn, endReason: record.endReason.rawValue)
    }
}

extension FlowBatch {
    /// A batch of at most `capacity` flows that `body` writes in place, by position, into the batch's own
    /// columns, returning how many positions (from 0) it wrote: no builder's columns to copy out afterwards.
    /// Writers that own disjoint positions may write side by side.
    ///
    /// The end-of-input export wrote 400 k flows into a builder and then copied all 17 columns into the
    /// batch: 33 MB more of fresh pages and a copy on the bulk capture's tail.
    public static func filling(capacity: Int, _ body: (FlowColumnWriter) -> Int) -> FlowBatch {
        // Nothing to write: an empty batch, and no array made with room for 0 (those all share the standard
        // library's empty storage, whose count each such initialiser writes: a data race between threads).
        guard capacity > 0 else { return FlowBatch() }
        let n = capacity
        var count = 0
        var batch = FlowBatch()
        // Every column is created uninitialised with room for n and then given the count the body wrote:
        // all element types are trivial, so the unwritten tail needs no deinitialisation.
        batch.srcHigh = [UInt64](unsafeUninitializedCapacity: n) { srcHigh, c0 in
        batch.srcLow = [UInt64](unsafeUninitializedCapacity: n) { srcLow, c1 in
        batch.dstHigh = [UInt64](unsafeUninitializedCapacity: n) { dstHigh, c2 in
        batch.dstLow = [UInt64](unsafeUninitializedCapacity: n) { dstLow, c3 in
        batch.srcPort = [UInt16](unsafeUninitializedCapacity: n) { srcPort, c4 in
        batch.dstPort = [UInt16](unsafeUninitializedCapacity: n) { dstPort, c5 in
        batch.proto = [UInt8](unsafeUninitializedCapacity: n) { proto, c6 in
        batch.flags = [UInt8](unsafeUninitializedCapacity: n) { flags, c7 in
        batch.firstSeen = [Int64](unsafeUninitializedCapacity: n) { firstSeen, c8 in
        batch.lastSeen = [Int64](unsafeUninitializedCapacity: n) { lastSeen, c9 in
        batch.packetsOut = [UInt64](unsafeUninitializedCapacity: n) { packetsOut, c10 in
        batch.bytesOut = [UInt64](unsafeUninitializedCapacity: n) { bytesOut, c11 in
        batch.packetsIn = [UInt64](unsafeUninitializedCapacity: n) { packetsIn, c12 in
        batch.bytesIn = [UInt64](unsafeUninitializedCapacity: n) { bytesIn, c13 in
        batch.tcpFlagsOut = [UInt8](unsafeUninitializedCapacity: n) { tcpFlagsOut, c14 in
        batch.tcpFlagsIn = [UInt8](unsafeUninitializedCapacity: n) { tcpFlagsIn, c15 in
        batch.endReason = [UInt8](unsafeUninitializedCapacity: n) { endReason, c16 in
            count = body(FlowColumnWriter(
                capacity: n, srcHigh: srcHigh.baseAddress!, srcLow: srcLow.baseAddress!,
                dstHigh: dstHigh.baseAddress!, dstLow: dstLow.baseAddress!, srcPort: srcPort.baseAddress!,
                dstPort: dstPort.baseAddress!, proto: proto.baseAddress!, flags: flags.baseAddress!,
                firstSeen: firstSeen.baseAddress!, lastSeen: lastSeen.baseAddress!,
                packetsOut: packetsOut.baseAddress!, bytesOut: bytesOut.baseAddress!,
                packetsIn: packetsIn.baseAddress!, bytesIn: bytesIn.baseAddress!,
                tcpFlagsOut: tcpFlagsOut.baseAddress!, tcpFlagsIn: tcpFlagsIn.baseAddress!,
                endReason: endReason.baseAddress!))
            precondition(count >= 0 && count <= n, "FlowBatch.filling: \(count) flows written, room for \(n)")
            c16 = count
        }; c15 = count
        }; c14 = count
        }; c13 = count
        }; c12 = count
        }; c11 = count
        }; c10 = count
        }; c9 = count
        }; c8 = count
        }; c7 = count
        }; c6 = count
        }; c5 = count
        }; c4 = count
        }; c3 = count
        }; c2 = count
        }; c1 = count
        }; c0 = count
        }
        return batch
    }
}
