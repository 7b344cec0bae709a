/// What the detector keeps per candidate pair: connection starts (ns), the initiator's bytes and whether
/// the responder answered, per connection, plus totals. Two states of the same pair merge into the state
/// of their union, whatever the order the flows came in.
///
/// Memory is bounded: at most `cap` connections are kept (the earliest, like RITA's 86 400 per day);
/// beyond that the pair is a strobe and only the totals grow.
public struct BeaconPairState: Sendable, Hashable {
    /// Connection start times, ns (unordered until ``normalise(cap:)``).
    public private(set) var starts: [Int64] = []
    /// The initiator's bytes of each kept connection (saturating at `UInt32.max`).
    public private(set) var sizes: [UInt32] = []
    /// Whether the responder sent nothing on each kept connection (a failed attempt).
    public private(set) var unanswered: [Bool] = []
    /// Connections seen, kept or not.
    public private(set) var connections: UInt64 = 0
    /// Initiator bytes, all pieces of all flows.
    public private(set) var bytesOut: UInt64 = 0
    /// Responder bytes.
    public private(set) var bytesIn: UInt64 = 0
    /// First packet time, ns.
    public private(set) var firstSeen: Int64 = .max
    /// Last packet time, ns.
    public private(set) var lastSeen: Int64 = .min
    /// Summed flow durations, ns.
    public private(set) var totalDuration: Int64 = 0
    /// Whether connections were dropped at the cap.
    public private(set) var isStrobe = false

    /// Creates an empty state.
    public init() {}

    /// The state of a detector's pair: its totals and its kept connections, sorted.
    init(entry: BeaconPairEntry, connections run: (starts: [Int64], sizes: [UInt32], unanswered: [Bool])) {
        starts = run.starts
        sizes = run.sizes
        unanswered = run.unanswered
        connections = entry.connections
        bytesOut = entry.bytesOut
        bytesIn = entry.bytesIn
        firstSeen = entry.firstSeen
        lastSeen = entry.lastSeen
        totalDuration = entry.totalDuration
        isStrobe = entry.isStrobe
    }

    /// Adds one flow piece; continuations add bytes and time but are not new connections.
    public mutating func add(start: Int64, end: Int64, bytesOut out: UInt64, bytesIn incoming: UInt64,
                             answered: Bool, isContinuation: Bool, cap: Int) {
        bytesOut &+= out
        bytesIn &+= incoming
        firstSeen = min(firstSeen, start)
        lastSeen = max(lastSeen, end)
        totalDuration &+= max(0, end &- start)
        guard !isContinuation else { return }
        connections &+= 1
        starts.append(start)
        sizes.append(UInt32(clamping: out))
        unanswered.append(!answered)
        if starts.count >= 2 * cap { normalise(cap: cap) }
    }

    /// Adds everything `other` holds.
    public mutating func merge(_ other: BeaconPairState, cap: Int) {
        starts += other.starts
        sizes += other.sizes
        unanswered += other.unanswered
        connections &+= other.connections
        bytesOut &+= other.bytesOut
        bytesIn &+= other.bytesIn
        firstSeen = min(firstSeen, other.firstSeen)
        lastSeen = max(lastSeen, other.lastSeen)
        totalDuration &+= other.totalDuration
        isStrobe = isStrobe || other.isStrobe
        if starts.count > cap { normalise(cap: cap) }
    }

    /// Sorts the kept connections by start (then size, then answer) and keeps the earliest `cap`, so the
    /// result does not depend on the order flows or states arrived in.
    public mutating func normalise(cap: Int) {
        let order = starts.indices.sorted {
            (starts[$0], sizes[$0], unanswered[$0] ? 1 : 0) < (starts[$1], sizes[$1], unanswered[$1] ? 1 : 0)
        }
        let kept = order.prefix(cap)
        if order.count > cap { isStrobe = true }
        starts = kept.map { starts[$0] }
        sizes = kept.map { sizes[$0] }
        unanswered = kept.map { unanswered[$0] }
    }

    /// The beat times in seconds (call ``normalise(cap:)`` first): kept starts, sorted, with retries collapsed. A start within
    /// `retryWindow` ns of the previous beat is the same beat when either of the two went unanswered
    /// (a failed attempt and its retry); identical start times are always one beat.
    public func beatTimes(retryWindow: Int64) -> (seconds: [Double], sizes: [Double], wholeSeconds: [Int64]) {
        var seconds: [Double] = [], beatSizes: [Double] = [], whole: [Int64] = []
        seconds.reserveCapacity(starts.count)
        var previous = Int64.min, previousUnanswered = false
        for i in starts.indices {
            let t = starts[i]
            if previous != .min {
                let gap = t &- previous
                if gap == 0 || (gap < retryWindow && (unanswered[i] || previousUnanswered)) {
                    previousUnanswered = previousUnanswered && unanswered[i]
                    continue
                }
            }
            seconds.append(Double(t) / 1e9)
            beatSizes.append(Double(sizes[i]))
            whole.append(t >= 0 ? t / 1_000_000_000 : (t - 999_999_999) / 1_000_000_000)
            previous = t
            previousUnanswered = unanswered[i]
        }
        return (seconds, beatSizes, whole)
    }
}
