/// Decoded packets in fixed columns written through plain pointer stores: either a few hundred at a time,
/// moved into a ``PacketBatch`` a block at a time, or (``PacketBatch/filling(capacity:_:)``) the batch's
/// own column memory, written in place.
///
/// Appending one packet to the twelve arrays of a ``PacketBatch`` pays a uniqueness and a capacity
/// check per column: on a 10 M-packet capture that was 120 M calls and 6 % of the run. A decoding loop
/// writes here instead. An owned stage is flushed whenever it is full and at the end (``flush(into:)``
/// appends each column to the batch with one copy); a stage over a batch's columns is never full before
/// its known record count is reached and needs no copy at all (the copies were 4 % of the bulk run).
public struct PacketStaging: ~Copyable {
    /// Packets an owned stage holds before it must be flushed.
    public static let capacity = 256

    /// Packets staged.
    @inlinable public var count: Int { _count }
    @usableFromInline var _count = 0
    /// Packets this stage has room for.
    @usableFromInline let limit: Int
    /// Whether the columns were allocated here (and are freed here).
    private let owned: Bool
    @usableFromInline let timestamp: UnsafeMutablePointer<Int64>
    @usableFromInline let srcHigh, srcLow, dstHigh, dstLow: UnsafeMutablePointer<UInt64>
    @usableFromInline let srcPort, dstPort: UnsafeMutablePointer<UInt16>
    @usableFromInline let proto, flags, tcpFlags: UnsafeMutablePointer<UInt8>
    @usableFromInline let wireLength, fragmentID: UnsafeMutablePointer<UInt32>

    /// Creates an empty stage of ``capacity`` packets.
    public init() {
        let n = Self.capacity
        limit = n
        owned = true
        timestamp = .allocate(capacity: n)
        srcHigh = .allocate(capacity: n); srcLow = .allocate(capacity: n)
        dstHigh = .allocate(capacity: n); dstLow = .allocate(capacity: n)
        srcPort = .allocate(capacity: n); dstPort = .allocate(capacity: n)
        proto = .allocate(capacity: n); flags = .allocate(capacity: n); tcpFlags = .allocate(capacity: n)
        wireLength = .allocate(capacity: n); fragmentID = .allocate(capacity: n)
    }

    /// A stage over columns someone else owns, with room for `limit` packets.
    init(limit: Int, timestamp: UnsafeMutablePointer<Int64>, srcHigh: UnsafeMutablePointer<UInt64>,
         srcLow: UnsafeMutablePointer<UInt64>, dstHigh: UnsafeMutablePointer<UInt64>, dstLow: UnsafeMutablePointer<UInt64>,
         srcPort: UnsafeMutablePointer<UInt16>, dstPort: UnsafeMutablePointer<UInt16>, proto: UnsafeMutablePointer<UInt8>,
         flags: UnsafeMutablePointer<UInt8>, tcpFlags: UnsafeMutablePointer<UInt8>,
         wireLength: UnsafeMutablePointer<UInt32>, fragmentID: UnsafeMutablePointer<UInt32>) {
        self.limit = limit
        owned = false
        self.timestamp = timestamp
        self.srcHigh = srcHigh; self.srcLow = srcLow; self.dstHigh = dstHigh; self.dstLow = dstLow
        self.srcPort = srcPort; self.dstPort = dstPort
        self.proto = proto; self.flags = flags; self.tcpFlags = tcpFlags
        self.wireLength = wireLength; self.fragmentID = fragmentID
    }

    deinit {
        guard owned else { return }
        timestamp.deallocate()
        srcHigh.deallocate(); srcLow.deallocate(); dstHigh.deallocate(); dstLow.deallocate()
        srcPort.deallocate(); dstPort.deallocate()
        proto.deallocate(); flags.deallocate(); tcpFlags.deallocate()
        wireLength.deallocate(); fragmentID.deallocate()
    }

    /// Whether the stage must be flushed before the next append.
    @inlinable
    public var isFull: Bool { _count == limit }

    /// Stages one packet (the arguments of ``PacketBatch/append(timestamp:src:dst:srcPort:dstPort:proto:flags:tcpFlags:wireLength:fragmentID:)``);
    /// the caller flushes a full stage first (appending to one traps).
    @inlinable
    public mutating func append(
        timestamp t: Int64, src: IPAddress, dst: IPAddress, srcPort sport: UInt16, dstPort dport: UInt16,
        proto p: UInt8, flags f: PacketBatch.Flags = [], tcpFlags tf: UInt8 = 0, wireLength w: UInt32,
        fragmentID id: UInt32 = 0
    ) {
        precondition(_count < limit, "PacketStaging is full")
        let i = _count
        Columns(self).store(at: i, timestamp: t, src: src, dst: dst, srcPort: sport, dstPort: dport, proto: p, flags: f,
                            tcpFlags: tf, wireLength: w, fragmentID: id)
        _count = i &+ 1
    }

    /// The stage's column pointers as one value, for a decoding loop that stores its rows itself.
    ///
    /// Stored through a stage's own fields, each row reloaded the twelve pointers: a store through one column
    /// could alias the stage as far as the compiler knows. A copy held by the loop stays in registers or its
    /// stack frame instead.
    public struct Columns {
        @usableFromInline let timestamp: UnsafeMutablePointer<Int64>
        @usableFromInline let srcHigh, srcLow, dstHigh, dstLow: UnsafeMutablePointer<UInt64>
        @usableFromInline let srcPort, dstPort: UnsafeMutablePointer<UInt16>
        @usableFromInline let proto, flags, tcpFlags: UnsafeMutablePointer<UInt8>
        @usableFromInline let wireLength, fragmentID: UnsafeMutablePointer<UInt32>
        /// How many rows the columns have room for.
        public let limit: Int

        @usableFromInline
        init(_ stage: borrowing PacketStaging) {
            timestamp = stage.timestamp
            srcHigh = stage.srcHigh; srcLow = stage.srcLow; dstHigh = stage.dstHigh; dstLow = stage.dstLow
            srcPort = stage.srcPort; dstPort = stage.dstPort
            proto = stage.proto; flags = stage.flags; tcpFlags = stage.tcpFlags
            wireLength = stage.wireLength; fragmentID = stage.fragmentID
            limit = stage.limit
        }

        /// Stores row `i` (below ``limit``; the caller checks) with the fields of
        /// ``PacketStaging/append(timestamp:src:dst:srcPort:dstPort:proto:flags:tcpFlags:wireLength:fragmentID:)``.
        @inlinable @inline(__always)
        public func store(
            at i: Int, timestamp t: Int64, src: IPAddress, dst: IPAddress, srcPort sport: UInt16, dstPort dport: UInt16,
            proto p: UInt8, flags f: PacketBatch.Flags, tcpFlags tf: UInt8, wireLength w: UInt32, fragmentID id: UInt32
        ) {
            timestamp[i] = t
            srcHigh[i] = src.high; srcLow[i] = src.low; dstHigh[i] = dst.high; dstLow[i] = dst.low
            srcPort[i] = sport; dstPort[i] = dport
            proto[i] = p; flags[i] = f.rawValue; tcpFlags[i] = tf
            wireLength[i] = w; fragmentID[i] = id
        }
    }

    /// Lets `body` store rows through the stage's ``Columns`` from index ``count`` on; `body` advances the
    /// count it is given past each row it stores, never past ``Columns/limit``.
    @inlinable
    public mutating func withColumns<R>(_ body: (Columns, _ count: inout Int) -> R) -> R {
        var n = _count
        defer {
            precondition(n >= _count && n <= limit, "rows stored outside the stage")
            _count = n
        }
        return body(Columns(self), &n)
    }

    /// Appends the staged packets to `batch`, in order, and empties the stage (an owned stage only: a
    /// stage over a batch's columns is that batch).
    public mutating func flush(into batch: inout PacketBatch) {
        let n = _count
        guard n > 0 else { return }
        precondition(owned, "a stage over a batch's columns is not flushed")
        batch.timestamp.append(contentsOf: UnsafeBufferPointer(start: timestamp, count: n))
        batch.srcHigh.append(contentsOf: UnsafeBufferPointer(start: srcHigh, count: n))
        batch.srcLow.append(contentsOf: UnsafeBufferPointer(start: srcLow, count: n))
        batch.dstHigh.append(contentsOf: UnsafeBufferPointer(start: dstHigh, count: n))
        batch.dstLow.append(contentsOf: UnsafeBufferPointer(start: dstLow, count: n))
        batch.srcPort.append(contentsOf: UnsafeBufferPointer(start: srcPort, count: n))
        batch.dstPort.append(contentsOf: UnsafeBufferPointer(start: dstPort, count: n))
        batch.proto.append(contentsOf: UnsafeBufferPointer(start: proto, count: n))
        batch.flags.append(contentsOf: UnsafeBufferPointer(start: flags, count: n))
        batch.tcpFlags.append(contentsOf: UnsafeBufferPointer(start: tcpFlags, count: n))
        batch.wireLength.append(contentsOf: UnsafeBufferPointer(start: wireLength, count: n))
        batch.fragmentID.append(contentsOf: UnsafeBufferPointer(start: fragmentID, count: n))
        _count = 0
    }
}

extension PacketBatch {
    /// A batch whose columns `body` writes in place, through a stage with room for `capacity` packets:
    /// decoding a chunk whose record count is known needs no copy from a stage into the columns.
    ///
    /// - Parameters:
    ///   - capacity: The most packets `body` may stage (appending more traps).
    ///   - body: Stages the packets; it must not flush the stage.
    /// - Returns: The batch of the packets staged, in order.
    public static func filling(capacity: Int, _ body: (inout PacketStaging) -> Void) -> PacketBatch {
        let n = max(capacity, 0)
        var count = 0
        var batch = PacketBatch()
        // Every column is created uninitialised with room for n and then given the count the body staged:
        // all element types are trivial, so the unwritten tail needs no deinitialisation.
        batch.timestamp = [Int64](unsafeUninitializedCapacity: n) { timestamp, c0 in
        batch.srcHigh = [UInt64](unsafeUninitializedCapacity: n) { srcHigh, c1 in
        batch.srcLow = [UInt64](unsafeUninitializedCapacity: n) { srcLow, c2 in
        batch.dstHigh = [UInt64](unsafeUninitializedCapacity: n) { dstHigh, c3 in
        batch.dstLow = [UInt64](unsafeUninitializedCapacity: n) { dstLow, c4 in
        batch.srcPort = [UInt16](unsafeUninitializedCapacity: n) { srcPort, c5 in
        batch.dstPort = [UInt16](unsafeUninitializedCapacity: n) { dstPort, c6 in
        batch.proto = [UInt8](unsafeUninitializedCapacity: n) { proto, c7 in
        batch.flags = [UInt8](unsafeUninitializedCapacity: n) { flags, c8 in
        batch.tcpFlags = [UInt8](unsafeUninitializedCapacity: n) { tcpFlags, c9 in
        batch.wireLength = [UInt32](unsafeUninitializedCapacity: n) { wireLength, c10 in
        batch.fragmentID = [UInt32](unsafeUninitializedCapacity: n) { fragmentID, c11 in
            if n > 0 {
                var stage = PacketStaging(
                    limit: n, timestamp: timestamp.baseAddress!, srcHigh: srcHigh.baseAddress!,
                    srcLow: srcLow.baseAddress!, dstHigh: dstHigh.baseAddress!, dstLow: dstLow.baseAddress!,
                    srcPort: srcPort.baseAddress!, dstPort: dstPort.baseAddress!, proto: proto.baseAddress!,
                    flags: flags.baseAddress!, tcpFlags: tcpFlags.baseAddress!, wireLength: wireLength.baseAddress!,
                    fragmentID: fragmentID.baseAddress!)
                body(&stage)
                count = stage.count
            }
            c11 = count
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
