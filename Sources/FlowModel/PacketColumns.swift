/// Read-only views of a ``PacketBatch``'s columns, for loops that read several columns per packet.
///
/// Indexing the batch's arrays checks the index against each column's count: a flow-table update reads
/// ten columns per packet, so those were ten compare-and-branch pairs per packet, and every column's
/// buffer address was loaded again after each store the loop made (callgrind: a quarter of the flow
/// table's instructions). A view is taken once per batch; its buffers check indices in debug builds
/// only, so the caller keeps every index below ``count``.
public struct PacketColumns {
    /// The number of packets.
    public let count: Int
    /// ``PacketBatch/timestamp``.
    public let timestamp: UnsafeBufferPointer<Int64>
    /// ``PacketBatch/srcHigh``.
    public let srcHigh: UnsafeBufferPointer<UInt64>
    /// ``PacketBatch/srcLow``.
    public let srcLow: UnsafeBufferPointer<UInt64>
    /// ``PacketBatch/dstHigh``.
    public let dstHigh: UnsafeBufferPointer<UInt64>
    /// ``PacketBatch/dstLow``.
    public let dstLow: UnsafeBufferPointer<UInt64>
    /// ``PacketBatch/srcPort``.
    public let srcPort: UnsafeBufferPointer<UInt16>
    /// ``PacketBatch/dstPort``.
    public let dstPort: UnsafeBufferPointer<UInt16>
    /// ``PacketBatch/proto``.
    public let proto: UnsafeBufferPointer<UInt8>
    /// ``PacketBatch/flags``.
    public let flags: UnsafeBufferPointer<UInt8>
    /// ``PacketBatch/tcpFlags``.
    public let tcpFlags: UnsafeBufferPointer<UInt8>
    /// ``PacketBatch/wireLength``.
    public let wireLength: UnsafeBufferPointer<UInt32>
    /// ``PacketBatch/fragmentID``.
    public let fragmentID: UnsafeBufferPointer<UInt32>

    @usableFromInline
    init(count: Int, timestamp: UnsafeBufferPointer<Int64>, srcHigh: UnsafeBufferPointer<UInt64>,
         srcLow: UnsafeBufferPointer<UInt64>, dstHigh: UnsafeBufferPointer<UInt64>, dstLow: UnsafeBufferPointer<UInt64>,
         srcPort: UnsafeBufferPointer<UInt16>, dstPort: UnsafeBufferPointer<UInt16>, proto: UnsafeBufferPointer<UInt8>,
         flags: UnsafeBufferPointer<UInt8>, tcpFlags: UnsafeBufferPointer<UInt8>, wireLength: UnsafeBufferPointer<UInt32>,
         fragmentID: UnsafeBufferPointer<UInt32>) {
        self.count = count
        self.timestamp = timestamp
        self.srcHigh = srcHigh; self.srcLow = srcLow; self.dstHigh = dstHigh; self.dstLow = dstLow
        self.srcPort = srcPort; self.dstPort = dstPort
        self.proto = proto; self.flags = flags; self.tcpFlags = tcpFlags
        self.wireLength = wireLength; self.fragmentID = fragmentID
    }

    /// The flow key's protocol of packet `i`: the IP protocol, or 0x100 for a link-layer frame.
    @inlinable @inline(__always)
    public func keyProtocol(_ i: Int) -> UInt16 {
        PacketBatch.Flags(rawValue: flags[i]).contains(.link) ? 0x100 : UInt16(proto[i])
    }
}

extension PacketBatch {
    /// Calls `body` with views of the columns (index checks in debug builds only), valid only inside it.
    ///
    /// - Parameter body: Reads the columns; it must keep every index below ``PacketColumns/count``.
    /// - Returns: What `body` returns.
    @inlinable
    public func withUnsafeColumns<R>(_ body: (PacketColumns) throws -> R) rethrows -> R {
        try timestamp.withUnsafeBufferPointer { timestamp in
        try srcHigh.withUnsafeBufferPointer { srcHigh in
        try srcLow.withUnsafeBufferPointer { srcLow in
        try dstHigh.withUnsafeBufferPointer { dstHigh in
        try dstLow.withUnsafeBufferPointer { dstLow in
        try srcPort.withUnsafeBufferPointer { srcPort in
        try dstPort.withUnsafeBufferPointer { dstPort in
        try proto.withUnsafeBufferPointer { proto in
        try flags.withUnsafeBufferPointer { flags in
        try tcpFlags.withUnsafeBufferPointer { tcpFlags in
        try wireLength.withUnsafeBufferPointer { wireLength in
        try fragmentID.withUnsafeBufferPointer { fragmentID in
            let count = timestamp.count
            precondition(srcHigh.count == count && srcLow.count == count && dstHigh.count == count
                         && dstLow.count == count && srcPort.count == count && dstPort.count == count
                         && proto.count == count && flags.count == count && tcpFlags.count == count
                         && wireLength.count == count && fragmentID.count == count, "PacketBatch columns differ in length")
            return try body(PacketColumns(
                count: count, timestamp: timestamp, srcHigh: srcHigh, srcLow: srcLow, dstHigh: dstHigh, dstLow: dstLow,
                srcPort: srcPort, dstPort: dstPort, proto: proto, flags: flags, tcpFlags: tcpFlags,
                wireLength: wireLength, fragmentID: fragmentID))
        }}}}}}}}}}}}
    }
}
