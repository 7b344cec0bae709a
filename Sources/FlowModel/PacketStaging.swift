/// A few hundred decoded packets in fixed columns, moved into a ``PacketBatch`` a block at a time.
///
/// Appending one packet to the twelve arrays of a ``PacketBatch`` pays a uniqueness and a capacity
/// check per column: on a 10 M-packet capture that was 120 M calls and 6 % of the run. A decoding loop
/// writes here through plain pointer stores instead and, whenever the stage is full and at the end,
/// ``flush(into:)`` appends each column to the batch with one copy.
public struct PacketStaging: ~Copyable {
    /// Packets the stage holds before it must be flushed.
    public static let capacity = 256

    /// Packets staged.
    @inlinable public var count: Int { _count }
    @usableFromInline var _count = 0
    @usableFromInline let timestamp: UnsafeMutablePointer<Int64>
    @usableFromInline let srcHigh, srcLow, dstHigh, dstLow: UnsafeMutablePointer<UInt64>
    @usableFromInline let srcPort, dstPort: UnsafeMutablePointer<UInt16>
    @usableFromInline let proto, flags, tcpFlags: UnsafeMutablePointer<UInt8>
    @usableFromInline let wireLength, fragmentID: UnsafeMutablePointer<UInt32>

    /// Creates an empty stage.
    public init() {
        let n = Self.capacity
        timestamp = .allocate(capacity: n)
        srcHigh = .allocate(capacity: n); srcLow = .allocate(capacity: n)
        dstHigh = .allocate(capacity: n); dstLow = .allocate(capacity: n)
        srcPort = .allocate(capacity: n); dstPort = .allocate(capacity: n)
        proto = .allocate(capacity: n); flags = .allocate(capacity: n); tcpFlags = .allocate(capacity: n)
        wireLength = .allocate(capacity: n); fragmentID = .allocate(capacity: n)
    }

    deinit {
        timestamp.deallocate()
        srcHigh.deallocate(); srcLow.deallocate(); dstHigh.deallocate(); dstLow.deallocate()
        srcPort.deallocate(); dstPort.deallocate()
        proto.deallocate(); flags.deallocate(); tcpFlags.deallocate()
        wireLength.deallocate(); fragmentID.deallocate()
    }

    /// Whether the stage must be flushed before the next append.
    @inlinable
    public var isFull: Bool { _count == Self.capacity }

    /// Stages one packet (the arguments of ``PacketBatch/append(timestamp:src:dst:srcPort:dstPort:proto:flags:tcpFlags:wireLength:fragmentID:)``);
    /// the caller flushes a full stage first (appending to one traps).
    @inlinable
    public mutating func append(
        timestamp t: Int64, src: IPAddress, dst: IPAddress, srcPort sport: UInt16, dstPort dport: UInt16,
        proto p: UInt8, flags f: PacketBatch.Flags = [], tcpFlags tf: UInt8 = 0, wireLength w: UInt32,
        fragmentID id: UInt32 = 0
    ) {
        precondition(_count < Self.capacity, "PacketStaging is full")
        let i = _count
        timestamp[i] = t
        srcHigh[i] = src.high; srcLow[i] = src.low; dstHigh[i] = dst.high; dstLow[i] = dst.low
        srcPort[i] = sport; dstPort[i] = dport
        proto[i] = p; flags[i] = f.rawValue; tcpFlags[i] = tf
        wireLength[i] = w; fragmentID[i] = id
        _count = i &+ 1
    }

    /// Appends the staged packets to `batch`, in order, and empties the stage.
    public mutating func flush(into batch: inout PacketBatch) {
        let n = _count
        guard n > 0 else { return }
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
