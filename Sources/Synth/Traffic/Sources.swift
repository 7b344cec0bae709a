import Output

/// How the rate of a Poisson source changes over the day.
enum DayCurve {
    /// The same rate day and night.
    case flat
    /// Hospital day shift: about 15 % of the peak at night, the peak early afternoon.
    case diurnal

    /// The share of the peak rate at `time` (ns since the epoch, UTC).
    func factor(at time: Int64) -> Double {
        switch self {
        case .flat: return 1
        case .diurnal:
            let hour = Double(time % 86_400_000_000_000) / 3_600_000_000_000
            guard hour > 6, hour < 21 else { return 0.15 }
            return 0.15 + 0.85 * sin(Double.pi * (hour - 6) / 15)
        }
    }
}

/// Starts events as a (possibly non-homogeneous) Poisson process, by thinning at the peak rate.
final class PoissonSource: Actor {
    private(set) var nextTime: Int64
    private let meanGap: Double
    private let curve: DayCurve
    private var random: SplitMix64
    private let spawn: (Int64, inout SplitMix64, Engine) -> Void

    /// - Parameters:
    ///   - perHour: Events per hour at the peak of the curve.
    ///   - spawn: Adds the actors of one event starting at the given time.
    init(perHour: Double, curve: DayCurve, start: Int64, random: SplitMix64,
         spawn: @escaping (Int64, inout SplitMix64, Engine) -> Void) {
        self.meanGap = 3.6e12 / perHour
        self.curve = curve
        self.random = random
        self.spawn = spawn
        self.nextTime = start
        advance()
    }

    private func advance() {
        repeat {
            nextTime += Int64(random.exponential(mean: meanGap)) + 1
        } while !random.chance(curve.factor(at: nextTime))
    }

    func step(_ engine: Engine) throws(OutputError) -> Bool {
        spawn(nextTime, &random, engine)
        advance()
        return true
    }
}

/// How a periodic schedule's intervals vary.
public enum JitterKind: String, Sendable, Codable {
    /// Every interval exactly the period.
    case none
    /// Each interval uniform in period × [1 − j, 1 + j].
    case uniform
    /// Each interval uniform in period × [1, 1 + j]: sleep plus a random extra (one-sided, Cobalt Strike style).
    case oneSided = "one-sided"

    /// The expected interval for `period` and relative jitter `j`.
    public func meanInterval(period: Double, jitter: Double) -> Double {
        self == .oneSided ? period * (1 + jitter / 2) : period
    }
}

/// Starts an event every period (with jitter), skipping a share of them (missed beats).
///
/// The implant sleeps between check-ins, so each interval follows the previous check-in time;
/// a missed beat is a check-in that did not happen (host busy, network down), leaving a double gap.
final class PeriodicSource: Actor {
    private(set) var nextTime: Int64
    private let period: Double
    private let jitter: Double
    private let kind: JitterKind
    private let missRate: Double
    private var random: SplitMix64
    private let spawn: (Int64, inout SplitMix64, Engine) -> Void

    init(period: Double, jitter: Double, kind: JitterKind, missRate: Double, start: Int64, random: SplitMix64,
         spawn: @escaping (Int64, inout SplitMix64, Engine) -> Void) {
        self.period = period
        self.jitter = jitter
        self.kind = kind
        self.missRate = missRate
        self.random = random
        self.spawn = spawn
        self.nextTime = start
    }

    func step(_ engine: Engine) throws(OutputError) -> Bool {
        if !random.chance(missRate) { spawn(nextTime, &random, engine) }
        let factor: Double = switch kind {
        case .none: 1
        case .uniform: 1 + random.uniform(-jitter, jitter)
        case .oneSided: 1 + random.uniform(0, jitter)
        }
        nextTime += Int64(period * factor * 1e9)
        return true
    }
}

/// Runs `spawn` once at a given time (a one-off event such as an upload or a fan-out sweep).
final class OneShot: Actor {
    private(set) var nextTime: Int64
    private var random: SplitMix64
    private let spawn: (Int64, inout SplitMix64, Engine) -> Void

    init(at time: Int64, random: SplitMix64, spawn: @escaping (Int64, inout SplitMix64, Engine) -> Void) {
        nextTime = time
        self.random = random
        self.spawn = spawn
    }

    func step(_ engine: Engine) throws(OutputError) -> Bool {
        spawn(nextTime, &random, engine)
        return false
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
