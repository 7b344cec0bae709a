/// An open-addressing hash map from a directed flow key (addresses, ports, protocol) to an integer, for
/// ``FlowPairer``: linear probing over one array of 48-byte entries (a probe touches one cache line), a
/// multiplicative hash (no SipHash per lookup), backward-shift deletion (no tombstones), doubling at half
/// load.
struct PairingTable {
    /// A directed key: source and destination address halves, then `srcPort << 24 | dstPort << 8 | proto`.
    struct Key: Equatable {
        var srcHigh: UInt64, srcLow: UInt64, dstHigh: UInt64, dstLow: UInt64
        var portsAndProto: UInt64

        /// The key of the opposite direction.
        @inline(__always)
        var reversed: Key {
            let srcPort = portsAndProto >> 24 & 0xFFFF, dstPort = portsAndProto >> 8 & 0xFFFF
            return Key(srcHigh: dstHigh, srcLow: dstLow, dstHigh: srcHigh, dstLow: srcLow,
                       portsAndProto: dstPort << 24 | srcPort << 8 | (portsAndProto & 0xFF))
        }

        @inline(__always)
        var hash: UInt64 {
            var h = srcLow &* 0x9E37_79B9_7F4A_7C15
            h = (h ^ (h >> 29) ^ dstLow) &* 0xBF58_476D_1CE4_E5B9
            h = (h ^ (h >> 31) ^ portsAndProto ^ (srcHigh &+ dstHigh << 1)) &* 0x94D0_49BB_1331_11EB
            return h ^ (h >> 32)
        }
    }

    /// One slot: the key (``Key/portsAndProto`` is `empty` for a free slot) and its value.
    private struct Entry {
        var key: Key
        var value: Int
    }

    private static let empty = UInt64.max
    private static let free = Entry(key: Key(srcHigh: 0, srcLow: 0, dstHigh: 0, dstLow: 0, portsAndProto: empty), value: 0)
    private var entries: [Entry]
    private var mask: Int
    /// Entries held.
    private(set) var count = 0

    init(capacity: Int = 1 << 14) {
        let size = max(16, capacity.nextPowerOfTwo)
        entries = Array(repeating: Self.free, count: size)
        mask = size - 1
    }

    /// The value stored for `key`.
    @inline(__always)
    func value(for key: Key) -> Int? {
        var slot = Int(truncatingIfNeeded: key.hash) & mask
        while entries[slot].key.portsAndProto != Self.empty {
            if entries[slot].key == key { return entries[slot].value }
            slot = (slot &+ 1) & mask
        }
        return nil
    }

    /// The slot holding `key`, or -1; ``value(at:)`` and ``removeSlot(_:)`` take it (valid until the next
    /// change to the table).
    @inline(__always)
    func slot(for key: Key) -> Int {
        var slot = Int(truncatingIfNeeded: key.hash) & mask
        while entries[slot].key.portsAndProto != Self.empty {
            if entries[slot].key == key { return slot }
            slot = (slot &+ 1) & mask
        }
        return -1
    }

    /// The value in an occupied slot.
    @inline(__always)
    func value(at slot: Int) -> Int { entries[slot].value }

    /// Removes the entry in an occupied slot.
    mutating func removeSlot(_ slot: Int) { deleteSlot(slot) }

    /// Stores `value` for `key`, replacing any previous value.
    mutating func set(_ value: Int, for key: Key) { _ = exchange(value, for: key) }

    /// Stores `value` for `key` with one probe; returns the value it replaced, if any.
    @discardableResult
    mutating func exchange(_ value: Int, for key: Key) -> Int? {
        if (count + 1) * 2 > entries.count { grow() }
        var slot = Int(truncatingIfNeeded: key.hash) & mask
        while entries[slot].key.portsAndProto != Self.empty {
            if entries[slot].key == key {
                let previous = entries[slot].value
                entries[slot].value = value
                return previous
            }
            slot = (slot &+ 1) & mask
        }
        entries[slot] = Entry(key: key, value: value)
        count += 1
        return nil
    }

    /// Removes `key` if it maps to `value` (or to anything, when `value` is nil).
    mutating func remove(_ key: Key, ifValue value: Int? = nil) {
        var slot = Int(truncatingIfNeeded: key.hash) & mask
        while entries[slot].key.portsAndProto != Self.empty {
            if entries[slot].key == key {
                if let value, entries[slot].value != value { return }
                deleteSlot(slot)
                return
            }
            slot = (slot &+ 1) & mask
        }
    }

    /// Backward-shift deletion: moves later entries of the probe run into the hole.
    private mutating func deleteSlot(_ removed: Int) {
        var hole = removed
        var next = (hole + 1) & mask
        while entries[next].key.portsAndProto != Self.empty {
            let home = Int(truncatingIfNeeded: entries[next].key.hash) & mask
            // Move `next` into the hole unless its home lies cyclically in (hole, next].
            if (hole - home) & mask < (next - home) & mask {
                entries[hole] = entries[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        entries[hole] = Self.free
        count -= 1
    }

    private mutating func grow() {
        var bigger = PairingTable(capacity: entries.count * 2)
        for entry in entries where entry.key.portsAndProto != Self.empty { bigger.set(entry.value, for: entry.key) }
        self = bigger
    }
}
