internal import Foundation

/// The spectral view of periodicity: Fisher's g test on the periodogram of binned event counts, verified
/// by the autocorrelation at the peak's lag and by the intervals lying on a tight comb of that period.
///
/// It catches phase-locked (cron-like) schedules that miss more than half their beats — heartbeats
/// skipped while a device is busy — which the interval test's 50 % miss cap refuses. Sleep-based beacons
/// with wide jitter lose their spectral line and are the interval test's job.
public enum SpectralCheck {
    /// The outcome of the check.
    public struct Result: Sendable, Hashable {
        /// The period of the strongest periodogram ordinate, seconds (NaN without one).
        public var period: Double
        /// Fisher's g statistic: the peak's share of the periodogram's power.
        public var g: Double
        /// Upper bound of the g test's p-value, `n·(1 − g)^(n−1)`, capped at 1.
        public var pValue: Double
        /// Autocorrelation of the binned counts at the peak's lag (best of the lag and its neighbours).
        public var autocorrelation: Double
        /// Share of intervals within ±15 % of a multiple of the period.
        public var combFraction: Double
        /// Whether all three agree at level `alpha`.
        public var isPeriodic: Bool
    }

    /// Bins at most; a power of two.
    static let maximumBins = 4096

    /// Runs the check on event times (seconds, ascending).
    ///
    /// - Parameters:
    ///   - times: The events.
    ///   - alpha: The level of the g test.
    ///   - minimumPeriod: Shorter periods are ignored.
    ///   - deadTime: A known minimum spacing of events under the null (s), e.g. a burst tracker's quiet gap.
    public static func test(times: [Double], alpha: Double = 1e-3, minimumPeriod: Double = 1,
                            deadTime: Double = 0) -> Result {
        let none = Result(period: .nan, g: 0, pValue: 1, autocorrelation: 0, combFraction: 0, isPeriodic: false)
        guard times.count >= 8, let first = times.first, let last = times.last, last > first else { return none }
        // Cheap gate: a phase-locked schedule's shortest fifth of intervals are single beats within its
        // jitter of each other; Poisson and bursty timing have a spread-out lower tail.
        var intervals: [Double] = []
        intervals.reserveCapacity(times.count - 1)
        for i in times.indices.dropFirst() { intervals.append(times[i] - times[i - 1]) }
        intervals.sort()
        // Intervals are whole multiples of the period, so the median is at least one period. A known dead
        // time (burst starts after a quiet gap) is taken off before comparing the lower tail.
        let q02 = intervals[intervals.count / 50] - deadTime, q20 = intervals[intervals.count / 5] - deadTime
        guard intervals[intervals.count / 2] >= 0.9 * minimumPeriod, q02 > 0,
              (q20 - q02) / (q20 + q02) <= 0.15 else { return none }
        let span = last - first
        // Enough bins for two per period at up to 90 % missed beats, and no narrower than a quarter of the
        // shortest period.
        var bins = 64
        while bins < maximumBins && bins < 20 * times.count && span / Double(bins * 2) >= minimumPeriod / 4 { bins *= 2 }
        let width = span / Double(bins - 1)
        var real = [Double](repeating: 0, count: bins), imaginary = [Double](repeating: 0, count: bins)
        for t in times { real[min(bins - 1, Int((t - first) / width))] += 1 }
        let mean = Double(times.count) / Double(bins)
        let counts = real.map { $0 - mean }
        real = counts
        fft(&real, &imaginary)
        // Frequencies with at least 3 cycles in the span and at least 2 bins per period.
        let lowest = 3, highest = min(bins / 2 - 1, Int(span / minimumPeriod))
        guard highest > lowest else { return none }
        var total = 0.0, peak = 0.0, peakIndex = lowest
        for j in lowest...highest {
            let power = real[j] * real[j] + imaginary[j] * imaginary[j]
            total += power
            if power > peak { peak = power; peakIndex = j }
        }
        guard total > 0 else { return none }
        let n = Double(highest - lowest + 1)
        let g = peak / total
        let pValue = min(1, n * pow(1 - g, n - 1))
        let peakPeriod = span / Double(peakIndex) * Double(bins - 1) / Double(bins)
        let lag = peakPeriod / width
        var autocorrelation = -1.0
        let variance = counts.reduce(0) { $0 + $1 * $1 }
        for candidate in [Int(lag.rounded(.down)), Int(lag.rounded(.up)), Int(lag.rounded()) + 1] where candidate > 0 && candidate < bins {
            var sum = 0.0
            for i in 0..<(bins - candidate) { sum += counts[i] * counts[i + candidate] }
            autocorrelation = max(autocorrelation, variance > 0 ? sum / variance : 0)
        }
        var period = peakPeriod
        var combFraction = onComb(times, period: period)
        // A pulse train's harmonics are as strong as its fundamental: the fundamental is the longest
        // multiple of the peak's period that the intervals still sit on.
        for multiple in stride(from: 8, through: 2, by: -1) {
            let candidate = onComb(times, period: period * Double(multiple))
            if candidate >= 0.8 {
                period *= Double(multiple)
                combFraction = candidate
                break
            }
        }
        return Result(period: period, g: g, pValue: pValue, autocorrelation: autocorrelation,
                      combFraction: combFraction,
                      isPeriodic: pValue <= alpha && autocorrelation >= 0.1 && combFraction >= 0.8 && period >= minimumPeriod)
    }

    /// The share of intervals within ±15 % of a multiple of `period`.
    static func onComb(_ times: [Double], period: Double) -> Double {
        var count = 0
        for i in times.indices.dropFirst() {
            let d = times[i] - times[i - 1]
            let k = max(1, (d / period).rounded())
            if abs(d / (k * period) - 1) <= 0.15 { count += 1 }
        }
        return Double(count) / Double(max(1, times.count - 1))
    }

    /// In-place iterative radix-2 FFT; `real.count` must be a power of two.
    static func fft(_ real: inout [Double], _ imaginary: inout [Double]) {
        let n = real.count
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j { real.swapAt(i, j); imaginary.swapAt(i, j) }
        }
        // Twiddles e^(−2πik/n) once; a stage of length L uses every (n/L)-th.
        let cosines = (0..<(n / 2)).map { cos(-2 * Double.pi * Double($0) / Double(n)) }
        let sines = (0..<(n / 2)).map { sin(-2 * Double.pi * Double($0) / Double(n)) }
        var length = 2
        while length <= n {
            let step = n / length
            for start in stride(from: 0, to: n, by: length) {
                for k in 0..<(length / 2) {
                    let wr = cosines[k * step], wi = sines[k * step]
                    let a = start + k, b = a + length / 2
                    let tr = real[b] * wr - imaginary[b] * wi, ti = real[b] * wi + imaginary[b] * wr
                    real[b] = real[a] - tr
                    imaginary[b] = imaginary[a] - ti
                    real[a] += tr
                    imaginary[a] += ti
                }
            }
            length <<= 1
        }
    }
}
