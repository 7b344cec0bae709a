import FlowModel

/// One open flow in one 64-byte cache line: the low halves of its canonical key's addresses, ports and
/// protocol, its times and per-direction counters. The high halves of the addresses are zero for IPv4
/// flows and live apart (``FlowSlots/highs``), read and written only for flows marked
/// ``FlowStatus/wide``; a link-layer flow is marked ``FlowStatus/link`` (its protocol byte is 0).
///
/// With the whole key inline it was 96 bytes: two lines per update, and half as much again for a growing
/// table to fault in. Packet counts are 32-bit: a piece whose count fills (``FlowTable/piecePacketLimit``)
/// ends as at the active timeout and the flow goes on as a continuation.
struct FlowEntry {
    var aLow: UInt64, bLow: UInt64
    var first: Int64, last: Int64
    var bytesAB: UInt64, bytesBA: UInt64
    var packetsAB: UInt32, packetsBA: UInt32
    var aPort: UInt16, bPort: UInt16
    /// IP protocol; 0 for link-layer flows.
    var proto: UInt8
    var flagsAB: UInt8, flagsBA: UInt8
    /// ``FlowStatus`` bits.
    var status: UInt8
}

/// The high 64 bits of a flow's two key addresses (endpoint A's, then B's).
struct FlowHighs {
    var a: UInt64, b: UInt64
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
    /// The high address halves of wide flows, slot by slot (other slots' values mean nothing).
    let highs: UnsafeMutablePointer<FlowHighs>

    /// The control byte of a live slot with key hash `hash`.
    @inline(__always)
    static func tag(_ hash: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: hash >> 57) | 0x80 }

    private let controlMemory: LargeMemory
    private let entryMemory: LargeMemory
    private let highMemory: LargeMemory

    init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        self.init(capacity: capacity, controlMemory: LargeMemory(byteCount: capacity),  // zeroed: every slot empty
                  entryMemory: LargeMemory(byteCount: capacity * MemoryLayout<FlowEntry>.stride),
                  highMemory: LargeMemory(byteCount: capacity * MemoryLayout<FlowHighs>.stride))
    }

    /// Slots for twice as many flows holding these slots' bytes in their first half (the rest empty); see
    /// ``LargeMemory/grown(to:)``. These slots must not be used or freed afterwards.
    func doubled() -> FlowSlots {
        FlowSlots(capacity: capacity * 2, controlMemory: controlMemory.grown(to: capacity * 2),
                  entryMemory: entryMemory.grown(to: capacity * 2 * MemoryLayout<FlowEntry>.stride),
                  highMemory: highMemory.grown(to: capacity * 2 * MemoryLayout<FlowHighs>.stride))
    }

    private init(capacity: Int, controlMemory: LargeMemory, entryMemory: LargeMemory, highMemory: LargeMemory) {
        precondition(MemoryLayout<FlowEntry>.stride == 64, "a flow entry is one cache line")
        self.capacity = capacity
        self.controlMemory = controlMemory
        self.entryMemory = entryMemory
        self.highMemory = highMemory
        control = controlMemory.base.bindMemory(to: UInt8.self, capacity: capacity)
        entries = entryMemory.base.bindMemory(to: FlowEntry.self, capacity: capacity)
        highs = highMemory.base.bindMemory(to: FlowHighs.self, capacity: capacity)
    }

    /// The high address halves of the flow in `e` (one of these slots' entries): zero unless it is wide.
    @inline(__always)
    func highs(of e: UnsafeMutablePointer<FlowEntry>) -> FlowHighs {
        e.pointee.status & FlowStatus.wide != 0 ? highs[e - entries] : FlowHighs(a: 0, b: 0)
    }

    /// The flow key's protocol as ``CanonicalKey`` has it: the IP protocol, or 0x100 for link-layer flows.
    @inline(__always)
    static func keyProtocol(_ e: UnsafeMutablePointer<FlowEntry>) -> UInt16 {
        e.pointee.status & FlowStatus.link != 0 ? 0x100 : UInt16(e.pointee.proto)
    }

    /// The key hash of the flow in slot `slot` (``FlowHash/key(_:_:_:_:_:_:_:)``).
    @inline(__always)
    func hash(ofSlot slot: Int) -> UInt64 {
        let e = entries + slot
        let h = highs(of: e)
        return FlowHash.key(h.a, e.pointee.aLow, h.b, e.pointee.bLow, e.pointee.aPort, e.pointee.bPort,
                            Self.keyProtocol(e))
    }

    /// Whether slot `slot` holds a flow.
    @inline(__always)
    func isLive(_ slot: Int) -> Bool { control[slot] >= 0x80 }

    /// Hands back the memory of the entries (and high address halves) of slots `range`, which must hold no
    /// live flow: a dead slot's entry is never read (no tag matches its control byte), so its bytes may
    /// turn to zero. Control bytes are kept.
    func discardEntries(of range: Range<Int>) {
        let entry = MemoryLayout<FlowEntry>.stride, high = MemoryLayout<FlowHighs>.stride
        entryMemory.discard((range.lowerBound * entry)..<(range.upperBound * entry))
        highMemory.discard((range.lowerBound * high)..<(range.upperBound * high))
    }

    func deallocate() {
        controlMemory.deallocate()
        entryMemory.deallocate()
        highMemory.deallocate()
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
    /// A link-layer flow (key protocol 0x100); part of the key.
    static let link: UInt8 = 0x40
    /// An address of the key has nonzero high bits (IPv6): ``FlowSlots/highs`` holds them; part of the key.
    static let wide: UInt8 = 0x80
    /// The bits that belong to the key: set when the flow is inserted, kept across its pieces.
    static let keyBits: UInt8 = link | wide

    /// The key bits of a ``CanonicalKey``.
    @inline(__always)
    static func keyBits(aHigh: UInt64, bHigh: UInt64, proto: UInt16) -> UInt8 {
        (proto > 0xFF ? link : 0) | ((aHigh | bHigh) != 0 ? wide : 0)
    }

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
