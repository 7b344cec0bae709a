import FlowModel

/// One open flow: its canonical key, times and per-direction counters, 96 bytes in one place, so
/// updating a flow touches two cache lines instead of one line per field.
struct FlowEntry {
    var aHigh: UInt64, aLow: UInt64, bHigh: UInt64, bLow: UInt64
    var first: Int64, last: Int64
    var packetsAB: UInt64, bytesAB: UInt64, packetsBA: UInt64, bytesBA: UInt64
    var aPort: UInt16, bPort: UInt16
    /// IP protocol, or 0x100 for link-layer flows.
    var proto: UInt16
    var flagsAB: UInt8, flagsBA: UInt8
    /// ``FlowStatus`` bits.
    var status: UInt8
}

/// The slots of a ``FlowTable``: a byte of control per slot (Swiss-table style) and the entries beside it.
///
/// A control byte is 0 for an empty slot, 1 for a deleted one, else `0x80 | hash >> 57`: a probe reads
/// 64 control bytes per cache line and looks at an entry only when its 7 hash bits match (1 in 128 by
/// chance). Memory is allocated by hand so the hot loop indexes raw memory without copy-on-write or
/// bounds checks (the table's mask bounds every index).
struct FlowSlots {
    let capacity: Int
    var mask: Int { capacity &- 1 }
    let control: UnsafeMutablePointer<UInt8>
    let entries: UnsafeMutablePointer<FlowEntry>

    /// The control byte of a live slot with key hash `hash`.
    @inline(__always)
    static func tag(_ hash: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: hash >> 57) | 0x80 }

    private let controlMemory: LargeMemory
    private let entryMemory: LargeMemory

    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        self.init(capacity: capacity, controlMemory: LargeMemory(byteCount: capacity),  // zeroed: every slot empty
                  entryMemory: LargeMemory(byteCount: capacity * MemoryLayout<FlowEntry>.stride))
    }

    /// Slots for twice as many flows holding these slots' bytes in their first half (the rest empty); see
    /// ``LargeMemory/grown(to:)``. These slots must not be used or freed afterwards.
    func doubled() -> FlowSlots {
        FlowSlots(capacity: capacity * 2, controlMemory: controlMemory.grown(to: capacity * 2),
                  entryMemory: entryMemory.grown(to: capacity * 2 * MemoryLayout<FlowEntry>.stride))
    }

    private init(capacity: Int, controlMemory: LargeMemory, entryMemory: LargeMemory) {
        self.capacity = capacity
        self.controlMemory = controlMemory
        self.entryMemory = entryMemory
        control = controlMemory.base.bindMemory(to: UInt8.self, capacity: capacity)
        entries = entryMemory.base.bindMemory(to: FlowEntry.self, capacity: capacity)
    }

    /// Whether slot `slot` holds a flow.
    @inline(__always)
    func isLive(_ slot: Int) -> Bool { control[slot] >= 0x80 }

    func deallocate() {
        controlMemory.deallocate()
        entryMemory.deallocate()
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
