/// A small seeded generator (SplitMix64) so simulated series are the same on every run.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Exponential with the given mean.
    mutating func exponential(mean: Double) -> Double { -mean * log1p(-unit()) }
}

#if canImport(Glibc)
import Glibc
#endif

/// Event-time series of the kinds a hospital network holds, for testing the periodicity test.
enum SimulatedSeries {
    /// How a beacon's interval is jittered around its period `P`.
    enum Jitter: String, CaseIterable, Sendable {
        /// Uniform in `[P(1−j), P(1+j)]` (Empire, PoshC2, Sliver).
        case symmetric
        /// Uniform in `[P, P(1+j)]` (sleep plus a random addition).
        case oneSidedUp
        /// Uniform in `[P(1−j), P]` (Cobalt Strike subtracts).
        case oneSidedDown
    }

    /// A sleep-based beacon: each interval is jittered independently, beats are missed with `missRate`.
    /// Returns the times and the mean interval between consecutive beats (the period a detector should report).
    static func beacon(period: Double, jitter: Double, kind: Jitter, missRate: Double, connections: Int,
                       rng: inout SeededRandom) -> (times: [Double], meanInterval: Double) {
        var times: [Double] = []
        var t = 1_000.0 + rng.unit() * period
        while times.count < connections {
            if rng.unit() >= missRate { times.append(t) }
            let u = rng.unit()
            switch kind {
            case .symmetric: t += period * (1 + jitter * (2 * u - 1))
            case .oneSidedUp: t += period * (1 + jitter * u)
            case .oneSidedDown: t += period * (1 - jitter * u)
            }
        }
        let mean = switch kind {
        case .symmetric: period
        case .oneSidedUp: period * (1 + jitter / 2)
        case .oneSidedDown: period * (1 - jitter / 2)
        }
        return (times, mean)
    }

    /// A homogeneous Poisson process.
    static func poisson(mean: Double, count: Int, rng: inout SeededRandom) -> [Double] {
        var t = 0.0
        return (0..<count).map { _ in t += rng.exponential(mean: mean); return t }
    }

    /// A Poisson process whose rate follows the day (busy 08–18 h, a tenth of it at night).
    static func diurnalPoisson(peakMean: Double, hours: Double, rng: inout SeededRandom) -> [Double] {
        var times: [Double] = []
        var t = 0.0
        while t < hours * 3600 {
            t += rng.exponential(mean: peakMean)  // thinning: candidate at the peak rate
            let hour = (t / 3600).truncatingRemainder(dividingBy: 24)
            let rate = (8..<18).contains(Int(hour)) ? 1.0 : 0.1
            if rng.unit() < rate { times.append(t) }
        }
        return times
    }

    /// Sessions at Poisson times, each a burst of several requests a few seconds apart (web pages,
    /// DICOM studies, HL7 batches).
    static func bursty(sessionMean: Double, sessions: Int, rng: inout SeededRandom) -> [Double] {
        var times: [Double] = []
        var t = 0.0
        for _ in 0..<sessions {
            t += rng.exponential(mean: sessionMean)
            var s = t
            for _ in 0..<(1 + Int(rng.unit() * 8)) {
                times.append(s)
                s += 0.2 + rng.exponential(mean: 3)
            }
            t = s
        }
        return times
    }
}
