import FlowModel

/// The slot columns of a ``FlowTable``: one manually allocated array per field, so the hot loop indexes
/// raw memory without copy-on-write or bounds checks (the table's mask bounds every index).
struct FlowColumns {
    let capacity: Int
    var mask: Int { capacity &- 1 }
    /// 0: empty, 1: deleted, else the key's hash.
    let hash: UnsafeMutablePointer<UInt64>
    let aHigh: UnsafeMutablePointer<UInt64>
    let aLow: UnsafeMutablePointer<UInt64>
    let bHigh: UnsafeMutablePointer<UInt64>
    let bLow: UnsafeMutablePointer<UInt64>
    let aPort: UnsafeMutablePointer<UInt16>
    let bPort: UnsafeMutablePointer<UInt16>
    /// IP protocol, or 0x100 for link-layer flows.
    let proto: UnsafeMutablePointer<UInt16>
    let first: UnsafeMutablePointer<Int64>
    let last: UnsafeMutablePointer<Int64>
    let packetsAB: UnsafeMutablePointer<UInt64>
    let bytesAB: UnsafeMutablePointer<UInt64>
    let packetsBA: UnsafeMutablePointer<UInt64>
    let bytesBA: UnsafeMutablePointer<UInt64>
    let flagsAB: UnsafeMutablePointer<UInt8>
    let flagsBA: UnsafeMutablePointer<UInt8>
    /// ``FlowStatus`` bits.
    let status: UnsafeMutablePointer<UInt8>

    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        self.capacity = capacity
        hash = .allocate(capacity: capacity)
        hash.initialize(repeating: 0, count: capacity)
        aHigh = .allocate(capacity: capacity)
        aLow = .allocate(capacity: capacity)
        bHigh = .allocate(capacity: capacity)
        bLow = .allocate(capacity: capacity)
        aPort = .allocate(capacity: capacity)
        bPort = .allocate(capacity: capacity)
        proto = .allocate(capacity: capacity)
        first = .allocate(capacity: capacity)
        last = .allocate(capacity: capacity)
        packetsAB = .allocate(capacity: capacity)
        bytesAB = .allocate(capacity: capacity)
        packetsBA = .allocate(capacity: capacity)
        bytesBA = .allocate(capacity: capacity)
        flagsAB = .allocate(capacity: capacity)
        flagsBA = .allocate(capacity: capacity)
        status = .allocate(capacity: capacity)
    }

    /// Copies every field of slot `from` into slot `to` of `other`.
    func move(_ from: Int, to other: FlowColumns, _ to: Int) {
        other.hash[to] = hash[from]
        other.aHigh[to] = aHigh[from]; other.aLow[to] = aLow[from]
        other.bHigh[to] = bHigh[from]; other.bLow[to] = bLow[from]
        other.aPort[to] = aPort[from]; other.bPort[to] = bPort[from]; other.proto[to] = proto[from]
        other.first[to] = first[from]; other.last[to] = last[from]
        other.packetsAB[to] = packetsAB[from]; other.bytesAB[to] = bytesAB[from]
        other.packetsBA[to] = packetsBA[from]; other.bytesBA[to] = bytesBA[from]
        other.flagsAB[to] = flagsAB[from]; other.flagsBA[to] = flagsBA[from]
        other.status[to] = status[from]
    }

    func deallocate() {
        hash.deallocate(); aHigh.deallocate(); aLow.deallocate(); bHigh.deallocate(); bLow.deallocate()
        aPort.deallocate(); bPort.deallocate(); proto.deallocate(); first.deallocate(); last.deallocate()
        packetsAB.deallocate(); bytesAB.deallocate(); packetsBA.deallocate(); bytesBA.deallocate()
        flagsAB.deallocate(); flagsBA.deallocate(); status.deallocate()
    }
}

/// Bits of a flow slot's status byte.
enum FlowStatus {
    /// The initiator is endpoint B (the higher one); else A.
    static let initiatorIsB: UInt8 = 0x01
    /// The initiator was decided by a SYN or SYN-ACK and stays.
    static let initiatorFixed: UInt8 = 0x02
    /// A sent FIN.
    static let finAB: UInt8 = 0x04
    /// B sent FIN.
    static let finBA: UInt8 = 0x08
    /// A RST was seen.
    static let rst: UInt8 = 0x10
    /// This piece continues a flow cut by the active timeout.
    static let continuation: UInt8 = 0x20

    /// Whether the TCP connection is over (RST, or FIN from both sides).
    @inline(__always)
    static func isClosed(_ status: UInt8) -> Bool {
        status & rst != 0 || status & (finAB | finBA) == finAB | finBA
    }

    /// The end reason of a closed connection.
    static func closeReason(_ status: UInt8) -> FlowRecord.EndReason {
        status & rst != 0 ? .rst : .fin
    }
}

/// The identity of a fragmented IP datagram.
struct FragmentKey: Hashable {
    var srcHigh: UInt64, srcLow: UInt64, dstHigh: UInt64, dstLow: UInt64
    var id: UInt32
    var proto: UInt8
}

/// The ports a datagram's first fragment carried, for its later fragments.
struct FragmentPorts {
    var srcPort: UInt16, dstPort: UInt16
    var seen: Int64
}

extension Int {
    /// The smallest power of two not below `self` (1 for values below 1).
    var nextPowerOfTwo: Int {
        self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount)
    }
}
