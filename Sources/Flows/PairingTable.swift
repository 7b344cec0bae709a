/// An open-addressing hash map from a directed flow key (addresses, ports, protocol) to an integer, for
/// ``FlowPairer``: linear probing over structure-of-arrays key columns, a multiplicative hash (no SipHash
/// per lookup), backward-shift deletion (no tombstones), doubling at half load.
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

    private static let empty = UInt64.max
    private var srcHigh: [UInt64]
    private var srcLow: [UInt64]
    private var dstHigh: [UInt64]
    private var dstLow: [UInt64]
    /// ``Key/portsAndProto``, or `empty` for a free slot.
    private var tags: [UInt64]
    private var values: [Int]
    private var mask: Int
    /// Entries held.
    private(set) var count = 0

    init(capacity: Int = 1 << 14) {
        let size = max(16, capacity.nextPowerOfTwo)
        srcHigh = Array(repeating: 0, count: size)
        srcLow = Array(repeating: 0, count: size)
        dstHigh = Array(repeating: 0, count: size)
        dstLow = Array(repeating: 0, count: size)
        tags = Array(repeating: Self.empty, count: size)
        values = Array(repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private func matches(_ slot: Int, _ key: Key) -> Bool {
        tags[slot] == key.portsAndProto && srcLow[slot] == key.srcLow && dstLow[slot] == key.dstLow
            && srcHigh[slot] == key.srcHigh && dstHigh[slot] == key.dstHigh
    }

    /// The value stored for `key`.
    @inline(__always)
    func value(for key: Key) -> Int? {
        var slot = Int(truncatingIfNeeded: key.hash) & mask
        while tags[slot] != Self.empty {
            if matches(slot, key) { return values[slot] }
            slot = (slot &+ 1) & mask
        }
        return nil
    }

    /// Stores `value` for `key`, replacing any previous value.
    mutating func set(_ value: Int, for key: Key) {
        if (count + 1) * 2 > tags.count { grow() }
        var slot = Int(truncatingIfNeeded: key.hash) & mask
        while tags[slot] != Self.empty {
            if matches(slot, key) { values[slot] = value; return }
            slot = (slot &+ 1) & mask
        }
        srcHigh[slot] = key.srcHigh; srcLow[slot] = key.srcLow; dstHigh[slot] = key.dstHigh; dstLow[slot] = key.dstLow
        tags[slot] = key.portsAndProto
        values[slot] = value
        count += 1
    }

    /// Removes `key` if it maps to `value` (or to anything, when `value` is nil).
    mutating func remove(_ key: Key, ifValue value: Int? = nil) {
        var slot = Int(truncatingIfNeeded: key.hash) & mask
        while tags[slot] != Self.empty {
            if matches(slot, key) {
                if let value, values[slot] != value { return }
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
        while tags[next] != Self.empty {
            let key = Key(srcHigh: srcHigh[next], srcLow: srcLow[next], dstHigh: dstHigh[next], dstLow: dstLow[next],
                          portsAndProto: tags[next])
            let home = Int(truncatingIfNeeded: key.hash) & mask
            // Move `next` into the hole unless its home lies cyclically in (hole, next].
            let distanceToNext = (next - home) & mask, distanceToHole = (hole - home) & mask
            if distanceToHole < distanceToNext {
                srcHigh[hole] = srcHigh[next]; srcLow[hole] = srcLow[next]
                dstHigh[hole] = dstHigh[next]; dstLow[hole] = dstLow[next]
                tags[hole] = tags[next]; values[hole] = values[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        tags[hole] = Self.empty
        count -= 1
    }

    private mutating func grow() {
        var bigger = PairingTable(capacity: tags.count * 2)
        for slot in 0..<tags.count where tags[slot] != Self.empty {
            bigger.set(values[slot], for: Key(srcHigh: srcHigh[slot], srcLow: srcLow[slot], dstHigh: dstHigh[slot],
                                              dstLow: dstLow[slot], portsAndProto: tags[slot]))
        }
        self = bigger
    }
}
