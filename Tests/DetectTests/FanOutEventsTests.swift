@testable import Detect
import FlowModel
import Testing

@Suite("Fan-out event columns")
struct FanOutEventsTests {
    static func address(_ last: UInt32) -> IPAddress { IPAddress(v4: 0x0A32_0000 + last) }

    @Test("keys are found again, events stay in arrival order per key, groups skip small keys")
    func keysAndGroups() {
        var events = FanOutEvents()
        // Enough keys to make the table grow several times.
        for round in 0..<3 {
            for host in 0..<5000 {
                let key = events.keyIndex(src: Self.address(UInt32(host)), dport: 445, proto: 6)
                #expect(key == host)
                _ = events.append(key: key, time: Int64(round * 10 + host % 7), peer: Self.address(UInt32(round)))
            }
        }
        #expect(events.keyIndex(src: Self.address(3), dport: 3389, proto: 6) == 5000)  // another port: a new key
        #expect(events.keyIndex(src: Self.address(3), dport: 445, proto: 17) == 5001)  // another protocol too
        let groups = events.groups(minimum: 3)
        #expect(groups.count == 5000)
        #expect(groups[7].key == 7 && groups[7].events.map(\.peer) == [0, 1, 2].map { Self.address($0) })
        #expect(events.groups(minimum: 4).isEmpty)
    }

    @Test("dropping the oldest events of one key keeps the newest, sorted, and leaves other keys alone")
    func dropOldest() {
        var events = FanOutEvents()
        let a = events.keyIndex(src: Self.address(1), dport: 445, proto: 6)
        let b = events.keyIndex(src: Self.address(2), dport: 445, proto: 6)
        let times: [Int64] = [50, 10, 40, 20, 30, 60]
        for (i, time) in times.enumerated() {
            _ = events.append(key: a, time: time, peer: Self.address(UInt32(100 + i)))
            _ = events.append(key: b, time: time, peer: Self.address(UInt32(200 + i)))
        }
        events.dropOldest(3, of: a)
        #expect(events.keyCount[a] == 3 && events.keyCount[b] == 6)
        #expect(events.append(key: a, time: 5, peer: Self.address(99)) == 4)
        let groups = events.groups(minimum: 1)
        #expect(groups[0].events.map(\.time) == [40, 50, 60, 5])  // the kept ones sorted, then the newer arrival
        #expect(groups[1].events.map(\.time) == times)
        #expect(groups[1].events.map(\.peer) == (200..<206).map { Self.address(UInt32($0)) })
    }
}
