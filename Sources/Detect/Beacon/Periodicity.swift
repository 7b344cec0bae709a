internal import Foundation

/// Whether event times are periodic, and with what period, tolerant to jitter and missed beats.
///
/// Beacons sleep between call-backs, so their jitter accumulates: after a few beats the phase is lost and
/// a periodogram of the raw times has no line left at 50 % jitter. The test therefore works on the
/// intervals, the renewal view of the same signal. Each interval is modelled as `k` beats of period `P`
/// (`k − 1` missed) with relative jitter up to `w`, against the null hypothesis that the events are a
/// Poisson process (exponential intervals). Intervals are folded by `k = round(d/P)`; the log-likelihood
/// ratio of the best comb model (over `P`, the miss rate and `w`) against the exponential model must
/// exceed `ln(1/α) + (3/2)·ln(m)` — the level plus a BIC penalty for the three fitted parameters — and at
/// least ``Configuration/minimumCombFraction`` of the intervals must fall on the comb. Bursty and
/// diurnal traffic has more short intervals than Poisson, so it fails the test even more clearly.
/// ``SpectralCheck`` adds a Fisher-g periodogram test with autocorrelation verification for phase-locked
/// (cron-like) schedules.
public enum Periodicity {
    /// Settings of the test.
    public struct Configuration: Sendable, Hashable {
        /// The false-alarm level α against Poisson timing.
        public var alpha: Double = 1e-3
        /// Fewer intervals are never periodic.
        public var minimumIntervals: Int = 4
        /// Share of intervals that must lie within the fitted jitter of a multiple of the period.
        public var minimumCombFraction: Double = 0.8
        /// Share of intervals the comb model allows to be anything (extra call-backs, outliers).
        public var contamination: Double = 0.05
        /// The highest miss rate the comb model may assume; a comb of tiny period with most beats missing
        /// would imitate any continuous interval distribution.
        public var maximumMissRate: Double = 0.5
        /// Shorter periods are not considered (sub-second repeats are retries or bursts, not beacons).
        public var minimumPeriod: Double = 1
        /// A known minimum spacing of events under the null hypothesis (s): burst starts are at least the
        /// quiet gap apart even for random packets, so their null is an exponential shifted by it.
        public var deadTime: Double = 0
        /// Whether pairs the interval test rejects get the spectral check (phase-locked schedules that
        /// miss more than half their beats).
        public var spectral = true
        /// The relative jitter widths tried.
        public var jitterGrid: [Double] = [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6]
        /// Creates the default configuration.
        public init() {}
    }

    /// The outcome of the test.
    public struct Result: Sendable, Hashable {
        /// Which test found the periodicity.
        public enum Method: String, Sendable, Hashable {
            /// Not periodic.
            case none
            /// The interval (comb likelihood) test.
            case interval
            /// The spectral check (Fisher's g, autocorrelation, tight comb) on a phase-locked schedule.
            case spectral
        }

        /// Whether the timing is periodic at the configured level.
        public var isPeriodic: Bool
        /// The mean interval between beats in seconds (NaN without a fit).
        public var period: Double
        /// Relative jitter of single-beat intervals around the period (2 × mean |d/P − 1|).
        public var jitter: Double
        /// Estimated share of beats missing (`1 − m / Σk`).
        public var missRate: Double
        /// Share of intervals within the fitted jitter of a multiple of the period.
        public var combFraction: Double
        /// Log-likelihood ratio of the comb model against exponential intervals.
        public var logLikelihoodRatio: Double
        /// The ratio needed for ``isPeriodic``.
        public var threshold: Double
        /// The number of intervals tested.
        public var intervals: Int
        /// Which test found the periodicity.
        public var method: Method = .none
        /// The spectral check's p-value bound, NaN where it did not run (the interval test decided).
        public var spectralPValue: Double = .nan

        /// A 0–1 strength: 0.5 at the threshold, towards 1 as the evidence grows, below 0.5 when not periodic.
        public var strength: Double {
            if method == .spectral, spectralPValue > 0 {
                return 0.5 + 0.5 * (1 - log(1e3) / max(log(1 / spectralPValue), log(1e3)))
            }
            guard threshold > 0, logLikelihoodRatio.isFinite else { return 0 }
            if isPeriodic { return 0.5 + 0.5 * (1 - threshold / max(logLikelihoodRatio, threshold)) }
            return min(0.499, 0.5 * max(0, logLikelihoodRatio) / threshold)
        }

        static func none(intervals: Int) -> Result {
            Result(isPeriodic: false, period: .nan, jitter: .nan, missRate: .nan, combFraction: 0,
                   logLikelihoodRatio: 0, threshold: .infinity, intervals: intervals)
        }
    }

    /// Tests event times.
    ///
    /// - Parameters:
    ///   - times: Event times in seconds, ascending.
    ///   - configuration: Level and model settings.
    public static func test(times: [Double], configuration: Configuration = Configuration()) -> Result {
        var intervals: [Double] = []
        intervals.reserveCapacity(max(0, times.count - 1))
        for i in times.indices.dropFirst() where times[i] > times[i - 1] { intervals.append(times[i] - times[i - 1]) }
        var result = test(intervals: intervals, configuration: configuration)
        // A tight interval fit needs no second opinion; otherwise a phase-locked schedule that misses most
        // beats is either rejected (miss cap) or fitted at a wrong multiple with a wide window.
        guard configuration.spectral, !(result.isPeriodic && result.jitter <= 0.15) else { return result }
        let spectral = SpectralCheck.test(times: times, alpha: configuration.alpha,
                                          minimumPeriod: configuration.minimumPeriod, deadTime: configuration.deadTime)
        result.spectralPValue = spectral.pValue
        guard spectral.isPeriodic else { return result }
        if result.isPeriodic && abs(result.period - spectral.period) <= 0.05 * spectral.period { return result }
        var beats = 0.0, deviation = 0.0, singles = 0.0
        for d in intervals {
            let k = max(1, (d / spectral.period).rounded())
            beats += k
            if k == 1 { deviation += abs(d / spectral.period - 1); singles += 1 }
        }
        result.isPeriodic = true
        result.method = .spectral
        result.period = spectral.period
        result.missRate = 1 - Double(intervals.count) / beats
        result.jitter = singles > 0 ? 2 * deviation / singles : .nan
        result.combFraction = spectral.combFraction
        return result
    }

    /// Tests intervals between consecutive events (seconds, all positive).
    public static func test(intervals: [Double], configuration: Configuration = Configuration()) -> Result {
        let m = intervals.count
        guard m >= configuration.minimumIntervals else { return .none(intervals: m) }
        let mean = intervals.reduce(0, +) / Double(m)
        guard mean > 0 else { return .none(intervals: m) }
        let sorted = intervals.sorted()
        // With at most half the beats missed and jitter within ±50 %, the median interval is at least half
        // the period: a median below half the shortest period rules every comb out.
        guard sorted[m / 2] >= 0.5 * configuration.minimumPeriod else { return .none(intervals: m) }
        // Events that cannot follow each other closer than a dead time (burst starts after a quiet gap)
        // make the null a shifted exponential; the shift is known, not fitted.
        let dead = min(configuration.deadTime, sorted[0])
        let exponentialLogLikelihood = -Double(m) * (log(max(mean - dead, 1e-12)) + 1)
        let threshold = log(1 / configuration.alpha) + 1.5 * log(Double(m))
        var bestPeriod = 0.0, bestLikelihood = -Double.infinity
        var starts: [Double] = []
        for quantile in [0.5, 0.35, 0.2, 0.1] {
            let start = sorted[min(m - 1, Int(quantile * Double(m)))]
            guard start > 0 else { continue }
            let refined = refinePeriod(intervals, start: start)
            guard !starts.contains(where: { abs($0 - refined) <= 0.01 * refined }) else { continue }
            starts.append(refined)
            let (period, likelihood) = tightestPeriod(intervals, around: refined,
                                                      maximumMissRate: configuration.maximumMissRate)
            if period >= configuration.minimumPeriod && likelihood > bestLikelihood {
                bestPeriod = period
                bestLikelihood = likelihood
            }
        }
        var best: Result? = nil
        if bestPeriod > 0 {
            var fit = fitComb(intervals, period: bestPeriod, meanInterval: mean, configuration: configuration)
            fit.logLikelihoodRatio -= exponentialLogLikelihood
            // The mixture null can only lower the ratio: fit it only when the exponential one was beaten.
            if fit.logLikelihoodRatio >= threshold {
                let mixture = NullModel.twoExponentialLogLikelihood(dead > 0 ? sorted.map { $0 - dead } : sorted)
                fit.logLikelihoodRatio -= max(0, mixture - exponentialLogLikelihood)
            }
            best = fit
        }
        guard var result = best else { return .none(intervals: m) }
        result.threshold = threshold
        result.isPeriodic = result.logLikelihoodRatio >= threshold && result.combFraction >= configuration.minimumCombFraction
        result.method = result.isPeriodic ? .interval : .none
        return result
    }

    /// Iterates `P ← median(d / max(1, round(d/P)))` from `start` until it settles.
    static func refinePeriod(_ intervals: [Double], start: Double) -> Double {
        var period = start
        var folded = [Double](repeating: 0, count: intervals.count)
        for _ in 0..<8 {
            for (i, d) in intervals.enumerated() { folded[i] = d / max(1, (d / period).rounded()) }
            folded.sort()
            let next = RITAScore.median(folded[...])
            if abs(next - period) <= 1e-9 * period { return next }
            period = next
        }
        return period
    }

    /// The maximum-likelihood period near `start` under a uniform-jitter comb.
    ///
    /// Each candidate is moved to the midrange of its folded intervals `d / round(d/P)` — a uniform jitter
    /// window's centre, which converges like `1/n` where a mean or median converges like `1/√n` — and is
    /// then scored by the comb's log-likelihood `Σ log((1−q)·q^(k−1) / (2·w·k·P))` with the miss rate `q`
    /// and the relative half-width `w` at their estimates (the 2 % most extreme folded values dropped).
    /// The miss term stops a too-short period from folding the upper tail of a wide jitter window.
    static func tightestPeriod(_ intervals: [Double], around start: Double,
                               maximumMissRate: Double = 0.5) -> (period: Double, logLikelihood: Double) {
        let sample = intervals.count > 20_000 ? Array(intervals.prefix(20_000)) : intervals
        let m = Double(sample.count)
        let trim = sample.count / 50
        var folded = [Double](repeating: 0, count: sample.count)
        var best = start, bestLikelihood = -Double.infinity
        for step in -4...4 {
            var period = start * (1 + 0.035 * Double(step))
            var low = 0.0, high = 0.0
            // A window's top edge folds away above 1.5·P, so each step closes only a quarter of the gap
            // to the centre: iterate until it settles.
            for _ in 0..<16 {
                for (i, d) in sample.enumerated() { folded[i] = d / max(1, (d / period).rounded()) }
                (low, high) = trimmedExtremes(&folded, trim: trim)
                let next = (low + high) / 2
                if abs(next - period) <= 1e-4 * period { period = next; break }
                period = next
            }
            guard period > 0 else { continue }
            var beats = 0.0, logBeats = 0.0
            for d in sample {
                let k = max(1, (d / period).rounded())
                beats += k
                logBeats += log(k)
            }
            let miss = 1 - m / beats
            guard miss <= maximumMissRate else { continue }
            let width = max((high - low) / (high + low), 0.005)
            var likelihood = m * log(1 - miss) - logBeats - m * log(2 * width * period)
            if miss > 0 { likelihood += (beats - m) * log(miss) }
            if likelihood > bestLikelihood { best = period; bestLikelihood = likelihood }
        }
        return (best, bestLikelihood)
    }

    /// The `trim`-th smallest and largest of `values` (which may be reordered): a linear scan for small
    /// `trim`, a sort otherwise.
    static func trimmedExtremes(_ values: inout [Double], trim: Int) -> (Double, Double) {
        guard trim > 0 else { return (values.min() ?? 0, values.max() ?? 0) }
        guard trim <= 8 else {
            values.sort()
            return (values[trim], values[values.count - 1 - trim])
        }
        var lows = [Double](repeating: .infinity, count: trim + 1)
        var highs = [Double](repeating: -.infinity, count: trim + 1)
        for v in values {
            if v < lows[trim] {
                var i = trim
                while i > 0 && lows[i - 1] > v { lows[i] = lows[i - 1]; i -= 1 }
                lows[i] = v
            }
            if v > highs[trim] {
                var i = trim
                while i > 0 && highs[i - 1] < v { highs[i] = highs[i - 1]; i -= 1 }
                highs[i] = v
            }
        }
        return (lows[trim], highs[trim])
    }

    /// The best comb model at `period`: its log-likelihood (in ``Result/logLikelihoodRatio``, before the
    /// null is subtracted), jitter, miss rate and comb share.
    static func fitComb(_ intervals: [Double], period: Double, meanInterval: Double,
                       configuration: Configuration) -> Result {
        let m = intervals.count
        var beats = 0.0, singleDeviation = 0.0, singles = 0.0
        for d in intervals {
            let k = max(1, (d / period).rounded())
            beats += k
            if k == 1 { singleDeviation += abs(d / period - 1); singles += 1 }
        }
        let miss = max(0, min(configuration.maximumMissRate, 1 - Double(m) / beats))
        let epsilon = configuration.contamination
        var bestLL = -Double.infinity, bestWidth = 1.0
        for width in configuration.jitterGrid {
            var ll = 0.0
            for d in intervals {
                let background = epsilon * exp(-d / meanInterval) / meanInterval
                var comb = 0.0
                let kLow = max(1, Int((d / (period * (1 + width))).rounded(.up)))
                let kHigh = width < 1 ? min(kLow + 64, Int((d / (period * (1 - width))).rounded(.down))) : kLow
                if kLow <= kHigh {
                    var weight = (1 - miss) * pow(miss, Double(kLow - 1))
                    for k in kLow...kHigh {
                        comb += weight / (2 * width * Double(k) * period)
                        weight *= miss
                    }
                }
                ll += log(background + (1 - epsilon) * comb)
            }
            if ll > bestLL { bestLL = ll; bestWidth = width }
        }
        var onComb = 0
        for d in intervals {
            let k = max(1, (d / period).rounded())
            if abs(d / (k * period) - 1) <= bestWidth { onComb += 1 }
        }
        return Result(isPeriodic: false, period: period, jitter: singles > 0 ? 2 * singleDeviation / singles : .nan,
                      missRate: miss, combFraction: Double(onComb) / Double(m), logLikelihoodRatio: bestLL,
                      threshold: .infinity, intervals: m)
    }
}
