import Testing
@testable import Detect

/// ``SegmentedStore``: indices stay where they were as segments are added, and elements update in place.
@Suite struct SegmentedStoreTests {
    @Test(arguments: [0, 1, SegmentedStore<Int>.segmentSize - 1, SegmentedStore<Int>.segmentSize,
                      SegmentedStore<Int>.segmentSize * 3 + 7])
    func holdsWhatWasAppendedInOrder(count: Int) {
        var store = SegmentedStore<Int>()
        for i in 0..<count { store.append(i * 3) }
        #expect(store.count == count)
        #expect(Array(store) == (0..<count).map { $0 * 3 })
        for i in store.indices where i % 2 == 0 { store[i] += 1 }
        #expect(Array(store) == (0..<count).map { $0 * 3 + ($0 % 2 == 0 ? 1 : 0) })
    }

    /// A prefetch is a hint: any index, in range or not, leaves the store as it was.
    @Test func prefetchingAnyIndexChangesNothing() {
        var store = SegmentedStore<Int>()
        for i in 0..<(SegmentedStore<Int>.segmentSize * 2 + 3) { store.append(i) }
        for index in [-1, 0, 5, SegmentedStore<Int>.segmentSize, store.count - 1, store.count, Int.max] {
            store.prefetch(index)
        }
        #expect(Array(store) == Array(0..<(SegmentedStore<Int>.segmentSize * 2 + 3)))
    }

    @Test func aCopyIsIndependent() {
        var store = SegmentedStore<Int>()
        for i in 0..<(SegmentedStore<Int>.segmentSize + 5) { store.append(i) }
        var copy = store
        copy[3] = -1
        copy.append(99)
        #expect(store[3] == 3 && copy[3] == -1)
        #expect(store.count + 1 == copy.count)
    }
}

/// ``ConnectionLog/grouped(selected:counts:pairCount:cap:)`` groups some pairs exactly as grouping every
/// pair would group them.
@Suite struct ConnectionLogSubsetTests {
    @Test(arguments: [0, 1, 7])
    func aSubsetGroupsAsTheWholeLog(seed: UInt64) {
        var state = seed &+ 1
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let pairCount = 50
        var log = ConnectionLog()
        var counts = [UInt32](repeating: 0, count: pairCount)
        for _ in 0..<2000 {
            let pair = Int(next() % UInt64(pairCount))
            log.append(pair: pair, start: Int64(next() % 500), size: UInt32(next() % 4), unanswered: next() % 3 == 0)
            counts[pair] += 1
        }
        let cap = 30
        let whole = log.grouped(counts: counts, cap: cap)
        let selected = (0..<pairCount).filter { _ in next() % 3 == 0 }
        let subset = log.grouped(selected: selected, counts: selected.map { counts[$0] }, pairCount: pairCount, cap: cap)
        #expect(subset.offsets.count == selected.count + 1)
        for (run, pair) in selected.enumerated() {
            let mine = subset.log.run(subset.offsets[run]..<subset.offsets[run + 1])
            let theirs = whole.log.run(whole.offsets[pair]..<whole.offsets[pair + 1])
            #expect(mine.starts == theirs.starts && mine.sizes == theirs.sizes && mine.unanswered == theirs.unanswered)
            #expect(subset.truncated.contains(run) == whole.truncated.contains(pair))
        }
        let none = log.grouped(selected: [], counts: [], pairCount: pairCount, cap: cap)
        #expect(none.log.count == 0 && none.offsets == [0])
    }
}
