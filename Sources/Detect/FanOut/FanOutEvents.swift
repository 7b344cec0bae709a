internal import FlowModel

/// The connection starts a ``FanOutDetector`` keeps, as flat columns: one entry per (src, dport, proto) key
/// in an open-addressing table (multiplicative hash, linear probing, no per-key allocation), one row per
/// event naming its key's index. Most initiators open one or two connections on a watched port, so a
/// dictionary of per-key arrays would allocate once per initiator; here an event costs one probe and four
/// appends.
struct FanOutEvents: Sendable {
    /// Key columns, by key index.
    private(set) var keySrc: [IPAddress] = []
    private(set) var keyPortProto: [UInt32] = []
    /// Events held per key.
    private(set) var keyCount: [Int] = []
    /// Event columns, in arrival order (per key too).
    private(set) var eventKey: [Int32] = []
    private(set) var eventTime: [Int64] = []
    private(set) var eventPeer: [IPAddress] = []
    /// Slots: key index + 1, 0 when free.
    private var slots = [Int32](repeating: 0, count: 1 << 12)

    @inline(__always)
    private static func hash(_ src: IPAddress, _ portProto: UInt32) -> Int {
        var h = src.low &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 29) ^ src.high ^ UInt64(portProto)) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// The index of the key, added when new.
    @inline(__always)
    mutating func keyIndex(src: IPAddress, dport: UInt16, proto: UInt8) -> Int {
        let portProto = UInt32(dport) << 8 | UInt32(proto)
        if (keySrc.count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var slot = Self.hash(src, portProto) & mask
        while slots[slot] != 0 {
            let index = Int(slots[slot] - 1)
            if keySrc[index] == src && keyPortProto[index] == portProto { return index }
            slot = (slot &+ 1) & mask
        }
        let index = keySrc.count
        slots[slot] = Int32(index + 1)
        keySrc.append(src); keyPortProto.append(portProto); keyCount.append(0)
        return index
    }

    private mutating func grow() {
        var bigger = [Int32](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for index in keySrc.indices {
            var slot = Self.hash(keySrc[index], keyPortProto[index]) & mask
            while bigger[slot] != 0 { slot = (slot &+ 1) & mask }
            bigger[slot] = Int32(index + 1)
        }
        slots = bigger
    }

    /// Appends an event of key `key`; returns the key's event count.
    @inline(__always)
    mutating func append(key: Int, time: Int64, peer: IPAddress) -> Int {
        eventKey.append(Int32(key)); eventTime.append(time); eventPeer.append(peer)
        keyCount[key] += 1
        return keyCount[key]
    }

    /// The events of `key`, in arrival order.
    func events(of key: Int) -> [(time: Int64, peer: IPAddress)] {
        var list: [(time: Int64, peer: IPAddress)] = []
        list.reserveCapacity(keyCount[key])
        for row in eventKey.indices where eventKey[row] == Int32(key) { list.append((eventTime[row], eventPeer[row])) }
        return list
    }

    /// Drops the `count` oldest events of `key` (by time, a stable sort); the rest move to the end, sorted.
    mutating func dropOldest(_ count: Int, of key: Int) {
        let kept = events(of: key).sorted { $0.time < $1.time }.dropFirst(count)
        var write = 0
        for row in eventKey.indices where eventKey[row] != Int32(key) {
            eventKey[write] = eventKey[row]; eventTime[write] = eventTime[row]; eventPeer[write] = eventPeer[row]
            write += 1
        }
        eventKey.removeLast(eventKey.count - write)
        eventTime.removeLast(eventTime.count - write)
        eventPeer.removeLast(eventPeer.count - write)
        for event in kept { eventKey.append(Int32(key)); eventTime.append(event.time); eventPeer.append(event.peer) }
        keyCount[key] = kept.count
    }

    /// The events of every key holding at least `minimum` of them, each key's list in arrival order.
    func groups(minimum: Int) -> [(key: Int, events: [(time: Int64, peer: IPAddress)])] {
        var position = [Int](repeating: -1, count: keySrc.count)
        var groups: [(key: Int, events: [(time: Int64, peer: IPAddress)])] = []
        for key in keySrc.indices where keyCount[key] >= minimum {
            position[key] = groups.count
            groups.append((key, []))
            groups[groups.count - 1].events.reserveCapacity(keyCount[key])
        }
        guard !groups.isEmpty else { return [] }
        for row in eventKey.indices {
            let group = position[Int(eventKey[row])]
            if group >= 0 { groups[group].events.append((eventTime[row], eventPeer[row])) }
        }
        return groups
    }
}
