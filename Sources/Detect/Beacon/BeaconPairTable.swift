internal import CPrefetch
internal import FlowModel

/// The totals of one candidate pair and its key, 96 bytes in one place: updating a pair touches one
/// entry, not one array per field.
struct BeaconPairEntry: Sendable {
    var key: BeaconKey
    /// Connections seen, kept or not.
    var connections: UInt64 = 0
    var bytesOut: UInt64 = 0
    var bytesIn: UInt64 = 0
    var firstSeen: Int64 = .max
    var lastSeen: Int64 = .min
    /// Summed flow durations, ns.
    var totalDuration: Int64 = 0
    /// Connections of the pair in the ``ConnectionLog``.
    var kept: UInt32 = 0
    /// Whether connections were dropped at the cap.
    var isStrobe = false

    init(key: BeaconKey) { self.key = key }

    /// Adds one flow piece's totals; continuations add bytes and time but are not new connections.
    @inline(__always)
    mutating func add(start: Int64, end: Int64, bytesOut out: UInt64, bytesIn incoming: UInt64, isContinuation: Bool) {
        bytesOut &+= out
        bytesIn &+= incoming
        firstSeen = min(firstSeen, start)
        lastSeen = max(lastSeen, end)
        totalDuration &+= max(0, end &- start)
        guard !isContinuation else { return }
        connections &+= 1
        kept &+= 1
    }

    /// Adds `other`'s totals (not its connections).
    mutating func addTotals(of other: BeaconPairEntry) {
        connections &+= other.connections
        bytesOut &+= other.bytesOut
        bytesIn &+= other.bytesIn
        firstSeen = min(firstSeen, other.firstSeen)
        lastSeen = max(lastSeen, other.lastSeen)
        totalDuration &+= other.totalDuration
        isStrobe = isStrobe || other.isStrobe
    }
}

/// The beacon detector's candidate pairs: entries in first-seen order, found by key through an
/// open-addressing index.
///
/// A slot holds the upper 32 bits of the key's hash and the entry's index + 1 (0: empty), so a probe
/// compares keys only when those bits agree; a key's home slot comes from the same bits, so growing the
/// index moves slot words without reading a key or hashing again. Linear probing, at most half full.
/// The hash is seeded per table (its multipliers), so crafted addresses cannot make every key collide.
struct BeaconPairTable: Sendable {
    /// The pairs, in the order they were first seen (a pair's index never changes); in segments, so
    /// that growing moves nothing.
    private(set) var entries = SegmentedStore<BeaconPairEntry>()
    private var slots: [UInt64]
    /// Odd multipliers drawn from the seed, one per key word.
    private let multipliers: (UInt64, UInt64, UInt64, UInt64, UInt64)

    /// Creates an empty table.
    init(seed: UInt64 = .random(in: 0...UInt64.max)) {
        multipliers = (mix64(seed) | 1, mix64(seed &+ 1) | 1, mix64(seed &+ 2) | 1, mix64(seed &+ 3) | 1,
                       mix64(seed &+ 4) | 1)
        slots = Array(repeating: 0, count: 1 << 12)
    }

    /// The number of pairs.
    var count: Int { entries.count }

    /// The hash of `key`, from every bit of it: each word times its own seeded odd multiplier (the five
    /// products are computed side by side), then one finaliser. Five chained finalisers cost five times
    /// the latency for no better spread.
    @inline(__always)
    func hash(_ key: BeaconKey) -> UInt64 {
        let ports = UInt64(key.dport) << 8 | UInt64(key.proto)
        let (k1, k2, k3, k4, k5) = multipliers
        return mix64((key.src.low &* k1) ^ (key.src.high &* k2) ^ (key.dst.low &* k3) ^ (key.dst.high &* k4)
                     ^ (ports &* k5))
    }

    /// Hints the CPU to load the slot `hash` probes first.
    @inline(__always)
    func prefetch(hash: UInt64) {
        slots.withUnsafeBufferPointer { medflow_prefetch($0.baseAddress! + Self.home(hash, mask: $0.count &- 1)) }
    }

    /// The first slot a key with hash `hash` may occupy.
    @inline(__always)
    static func home(_ hash: UInt64, mask: Int) -> Int { Int(truncatingIfNeeded: hash >> 32) & mask }

    /// The index of `key`'s entry, inserting an empty one when the pair is new.
    @inline(__always)
    mutating func index(of key: BeaconKey, hash: UInt64) -> Int {
        let tag = hash & 0xFFFF_FFFF_0000_0000
        let found: Int? = slots.withUnsafeBufferPointer { slots in
            let mask = slots.count &- 1
            var slot = Self.home(hash, mask: mask)
            while true {
                let value = slots[slot]
                if value == 0 { return nil }
                if value & 0xFFFF_FFFF_0000_0000 == tag {
                    let index = Int(truncatingIfNeeded: value & 0xFFFF_FFFF) &- 1
                    if entries[index].key == key { return index }
                }
                slot = (slot &+ 1) & mask
            }
        }
        if let found { return found }
        return insert(BeaconPairEntry(key: key), hash: hash)
    }

    /// Appends `entry` (whose key is not in the table) and returns its index.
    private mutating func insert(_ entry: BeaconPairEntry, hash: UInt64) -> Int {
        precondition(entries.count < Int(UInt32.max) - 1, "beacon pair table full")
        if (entries.count &+ 1) &* 2 > slots.count { grow() }
        entries.append(entry)
        place(index: entries.count &- 1, hash: hash)
        return entries.count &- 1
    }

    private mutating func place(index: Int, hash: UInt64) {
        slots.withUnsafeMutableBufferPointer {
            Self.place(hash & 0xFFFF_FFFF_0000_0000 | UInt64(index &+ 1), in: $0)
        }
    }

    /// Puts a slot word at its home slot or the first empty one after it.
    @inline(__always)
    private static func place(_ value: UInt64, in slots: UnsafeMutableBufferPointer<UInt64>) {
        let mask = slots.count &- 1
        var slot = home(value, mask: mask)
        while slots[slot] != 0 { slot = (slot &+ 1) & mask }
        slots[slot] = value
    }

    /// Makes the index big enough for `pairs` pairs (at most half full) in one step.
    mutating func reserve(_ pairs: Int) {
        guard pairs &* 2 > slots.count, pairs < Int(UInt32.max) else { return }
        resize(to: 1 << (Int.bitWidth - (pairs &* 2 &- 1).leadingZeroBitCount))  // the power of two ≥ 2 × pairs
    }

    /// Doubles the index.
    private mutating func grow() { resize(to: slots.count * 2) }

    /// Moves every slot word to its home in an index of `capacity` slots (a power of two; no key is read).
    private mutating func resize(to capacity: Int) {
        var larger = [UInt64](repeating: 0, count: capacity)
        slots.withUnsafeBufferPointer { old in
            larger.withUnsafeMutableBufferPointer { new in
                for value in old where value != 0 { Self.place(value, in: new) }
            }
        }
        slots = larger
    }

    /// Updates entry `index` in place (its key must stay as it is).
    @inline(__always)
    mutating func update(_ index: Int, _ body: (inout BeaconPairEntry) -> Void) {
        body(&entries[index])
    }
}
