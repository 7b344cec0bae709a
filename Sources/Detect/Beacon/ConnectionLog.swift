/// Every kept connection of every beacon candidate pair, appended as it arrives: the pair's index (with
/// the "unanswered" bit on top), its start (ns) and the initiator's bytes, 16 bytes in three arrays.
///
/// Appending is the whole per-flow cost; nothing is allocated per pair. ``grouped(counts:cap:)`` sorts the
/// log into one run per pair (a counting sort by pair index, then each run sorted by start), keeping the
/// earliest `cap` of a run: the detector does that to score, and to compact the log when it has doubled,
/// which bounds memory by the cap per pair like RITA's 86 400 connections a day.
struct ConnectionLog: Sendable {
    /// Pair index, with ``unansweredBit`` set when the responder sent nothing.
    private(set) var pairs: [UInt32] = []
    /// Connection starts, ns.
    private(set) var starts: [Int64] = []
    /// Initiator bytes, saturating at `UInt32.max`.
    private(set) var sizes: [UInt32] = []

    /// Marks a connection the responder never answered.
    static let unansweredBit: UInt32 = 1 << 31

    /// The number of connections held.
    var count: Int { starts.count }

    /// Appends one connection.
    @inline(__always)
    mutating func append(pair: Int, start: Int64, size: UInt32, unanswered: Bool) {
        pairs.append(UInt32(truncatingIfNeeded: pair) | (unanswered ? Self.unansweredBit : 0))
        starts.append(start)
        sizes.append(size)
    }

    /// Reserves room for `extra` more connections.
    mutating func reserve(_ extra: Int) {
        let wanted = count + extra
        guard wanted > starts.capacity else { return }
        let capacity = max(wanted, starts.capacity * 2)
        pairs.reserveCapacity(capacity)
        starts.reserveCapacity(capacity)
        sizes.reserveCapacity(capacity)
    }

    /// The log grouped by pair: one run per pair in index order, each sorted by (start, size, answered
    /// first), at most `cap` long.
    ///
    /// - Parameters:
    ///   - counts: Connections of each pair in the log (the run lengths before the cap).
    ///   - cap: The most connections kept per pair: the earliest are kept.
    /// - Returns: The grouped log, where each pair's run begins (`offsets`, one more than the pairs) and
    ///   the pairs whose runs were cut.
    func grouped(counts: [UInt32], cap: Int) -> (log: ConnectionLog, offsets: [Int], truncated: Set<Int>) {
        grouped(runOf: nil, counts: counts, cap: cap)
    }

    /// The connections of some pairs only, grouped as ``grouped(counts:cap:)`` groups all: run `k` holds
    /// pair `selected[k]`'s connections; the rest of the log is not copied.
    ///
    /// Scoring needs the runs of the pairs with enough connections, often a few among millions: this
    /// copies those and allocates nothing per unselected pair but a 4-byte map entry (and nothing at all
    /// when none is selected).
    ///
    /// - Parameters:
    ///   - selected: Pair indices, each once.
    ///   - counts: Connections of each selected pair in the log (`counts[k]` for `selected[k]`).
    ///   - pairCount: The number of pairs the log's indices range over.
    ///   - cap: The most connections kept per run: the earliest are kept.
    /// - Returns: The grouped runs, where each begins (`offsets`, one more than `selected`) and the runs
    ///   (indices into `selected`) that were cut.
    func grouped(selected: [Int], counts: [UInt32], pairCount: Int, cap: Int)
        -> (log: ConnectionLog, offsets: [Int], truncated: Set<Int>) {
        precondition(selected.count == counts.count, "one count per selected pair")
        guard !selected.isEmpty else { return (ConnectionLog(), [0], []) }
        var runOf = [Int32](repeating: -1, count: pairCount)
        for (run, pair) in selected.enumerated() { runOf[pair] = Int32(run) }
        return grouped(runOf: runOf, counts: counts, cap: cap)
    }

    /// The grouping behind both entry points: `runOf[pair]` is the pair's run, or -1 to leave it out
    /// (`nil`: every pair is its own run).
    private func grouped(runOf: [Int32]?, counts: [UInt32], cap: Int) -> (log: ConnectionLog, offsets: [Int], truncated: Set<Int>) {
        // Counting sort by run: positions from the counts, then one scattering pass.
        var offsets = [Int](repeating: 0, count: counts.count + 1)
        for run in counts.indices { offsets[run + 1] = offsets[run] + Int(counts[run]) }
        let total = offsets[counts.count]
        // Grouping every pair moves the whole log; a selection moves only its pairs' connections.
        precondition(runOf != nil || total == count, "connection log and pair counts disagree")
        var sorted = ConnectionLog()
        sorted.pairs = [UInt32](repeating: 0, count: total)
        sorted.starts = [Int64](repeating: 0, count: total)
        sorted.sizes = [UInt32](repeating: 0, count: total)
        var cursor = offsets
        pairs.withUnsafeBufferPointer { pairs in
            starts.withUnsafeBufferPointer { starts in
                sizes.withUnsafeBufferPointer { sizes in
                    sorted.pairs.withUnsafeMutableBufferPointer { outPairs in
                        sorted.starts.withUnsafeMutableBufferPointer { outStarts in
                            sorted.sizes.withUnsafeMutableBufferPointer { outSizes in
                                cursor.withUnsafeMutableBufferPointer { cursor in
                                    for i in 0..<pairs.count {
                                        let pair = Int(pairs[i] & ~Self.unansweredBit)
                                        let run: Int
                                        if let runOf {
                                            run = Int(runOf[pair])
                                            if run < 0 { continue }
                                        } else {
                                            run = pair
                                        }
                                        let at = cursor[run]
                                        precondition(at < offsets[run + 1], "connection log and pair counts disagree")
                                        cursor[run] = at &+ 1
                                        outPairs[at] = pairs[i]
                                        outStarts[at] = starts[i]
                                        outSizes[at] = sizes[i]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Sort each run by start (flows end, and so arrive, out of start order), then cut it at the cap.
        var truncated: Set<Int> = []
        for pair in counts.indices where offsets[pair + 1] - offsets[pair] > 1 {
            let run = offsets[pair]..<offsets[pair + 1]
            sorted.sortRun(run)
            if run.count > cap { truncated.insert(pair) }
        }
        guard !truncated.isEmpty else { return (sorted, offsets, []) }
        // Close the gaps the cut runs leave.
        var compact = ConnectionLog()
        compact.reserve(count)
        var newOffsets = [0]
        newOffsets.reserveCapacity(offsets.count)
        for pair in counts.indices {
            let run = offsets[pair]..<min(offsets[pair + 1], offsets[pair] + cap)
            compact.pairs += sorted.pairs[run]
            compact.starts += sorted.starts[run]
            compact.sizes += sorted.sizes[run]
            newOffsets.append(compact.count)
        }
        return (compact, newOffsets, truncated)
    }

    /// Sorts `run` by (start, size, answered before unanswered), unless it already is.
    private mutating func sortRun(_ run: Range<Int>) {
        func order(_ i: Int) -> (Int64, UInt32, UInt32) { (starts[i], sizes[i], pairs[i] & Self.unansweredBit) }
        var isSorted = true
        for i in run.dropFirst() where order(i - 1) > order(i) {
            isSorted = false
            break
        }
        guard !isSorted else { return }
        let entries = run.map { order($0) }.sorted { $0 < $1 }
        let pair = pairs[run.lowerBound] & ~Self.unansweredBit
        for (offset, entry) in entries.enumerated() {
            starts[run.lowerBound + offset] = entry.0
            sizes[run.lowerBound + offset] = entry.1
            pairs[run.lowerBound + offset] = pair | entry.2
        }
    }

    /// Connections `run` of a grouped log, as the per-pair arrays a ``BeaconPairState`` holds.
    func run(_ run: Range<Int>) -> (starts: [Int64], sizes: [UInt32], unanswered: [Bool]) {
        (Array(starts[run]), Array(sizes[run]), pairs[run].map { $0 & Self.unansweredBit != 0 })
    }

    /// Appends every connection of `other`, its pair index mapped through `map`.
    mutating func append(_ other: ConnectionLog, mappingPairs map: [Int]) {
        reserve(other.count)
        for i in 0..<other.count {
            let raw = other.pairs[i]
            append(pair: map[Int(raw & ~Self.unansweredBit)], start: other.starts[i], size: other.sizes[i],
                   unanswered: raw & Self.unansweredBit != 0)
        }
    }
}
