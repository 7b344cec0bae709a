/// RITA v5's beacon score (`activecm/rita`, `analysis/beacons.go`), reproduced formula by formula so its
/// figures can be compared with RITA's: timestamp skew/MAD, data size, 24-bin histogram and duration.
///
/// RITA works on whole-second timestamps and the originator's bytes per connection; callers pass exactly
/// that. Every sub-score is rounded to three decimals as RITA does (`math.Round(x*1000)/1000`).
public struct RITAScore: Sendable, Hashable {
    /// Timestamp score: Bowley skew and MAD of the non-zero intervals.
    public var timestamp: Double
    /// Data-size score: the same statistic over the bytes per connection.
    public var dataSize: Double
    /// Histogram score: the larger of the 24-bin CV score and the bimodal fit.
    public var histogram: Double
    /// Duration score: the larger of coverage and hourly consistency.
    public var duration: Double
    /// The weighted sum (0.25 each), rounded to three decimals.
    public var score: Double

    /// RITA's defaults (`config/config.go`).
    public enum Defaults {
        /// `histogram_mode_sensitivity`.
        public static let modeSensitivity = 0.05
        /// `histogram_bimodal_min_hours_seen`.
        public static let bimodalMinHoursSeen = 11
        /// `histogram_bimodal_outlier_removal`.
        public static let bimodalOutlierRemoval = 1
        /// `duration_min_hours_seen`.
        public static let durationMinHoursSeen = 6
        /// `duration_consistency_ideal_hours_seen`.
        public static let consistencyIdealHoursSeen = 12
        /// Histogram bins.
        public static let bins = 24
    }

    /// Creates a score from its parts, computing the weighted sum as RITA's `getBeaconScore` does.
    public init(timestamp: Double, dataSize: Double, histogram: Double, duration: Double) {
        self.timestamp = timestamp
        self.dataSize = dataSize
        self.histogram = histogram
        self.duration = duration
        score = RITAScore.round3(0.25 * timestamp + 0.25 * dataSize + 0.25 * duration + 0.25 * histogram)
    }

    /// Scores one pair, or `nil` where RITA skips it (fewer than 4 timestamps or 3 non-zero intervals).
    ///
    /// - Parameters:
    ///   - timestamps: Connection start times in whole seconds, any order.
    ///   - sizes: The originator's bytes of each connection.
    ///   - datasetStart: The first timestamp (s) of the analysed data set.
    ///   - datasetEnd: The last timestamp (s) of the analysed data set.
    public init?(timestamps: [Int64], sizes: [Double], datasetStart: Int64, datasetEnd: Int64) {
        let sorted = timestamps.sorted()
        guard let timestamp = RITAScore.timestampScore(sorted) else { return nil }
        let dataSize = RITAScore.statisticalScore(sizes.sorted(), defaultScore: 0, minimumCount: 3)
        let (bins, histogram) = RITAScore.histogramScore(sorted, datasetStart: datasetStart, datasetEnd: datasetEnd)
        let duration = RITAScore.durationScore(sorted, bins: bins, datasetStart: datasetStart, datasetEnd: datasetEnd)
        self.init(timestamp: timestamp, dataSize: dataSize, histogram: histogram, duration: duration)
    }

    /// `getTimestampScore`: the statistical score of the sorted, non-zero intervals (default 1).
    ///
    /// - Parameter sorted: Timestamps in seconds, ascending.
    /// - Returns: `nil` with fewer than 4 timestamps or fewer than 3 non-zero intervals.
    public static func timestampScore(_ sorted: [Int64]) -> Double? {
        guard sorted.count >= 4 else { return nil }
        var deltas: [Double] = []
        deltas.reserveCapacity(sorted.count)
        for i in 1..<sorted.count where sorted[i] != sorted[i - 1] { deltas.append(Double(sorted[i] - sorted[i - 1])) }
        guard deltas.count >= 3 else { return nil }
        deltas.sort()
        return statisticalScore(deltas, defaultScore: 1, minimumCount: 3)
    }

    /// `calculateStatisticalScore`: the mean of the Bowley-skew score and the MAD score, rounded.
    ///
    /// - Parameters:
    ///   - sorted: The values, ascending.
    ///   - defaultScore: The MAD score when the median is below 1.
    ///   - minimumCount: Fewer values score 0.
    public static func statisticalScore(_ sorted: [Double], defaultScore: Double, minimumCount: Int) -> Double {
        guard sorted.count >= minimumCount, !sorted.isEmpty else { return 0 }
        let (q1, q2, q3) = quartiles(sorted)
        let denominator = q3 - q1
        var skew = 0.0
        if denominator >= 10 && q2 != q1 && q2 != q3 { skew = (q1 + q3 - 2 * q2) / denominator }
        let deviations = sorted.map { abs($0 - q2) }.sorted()
        let mad = median(deviations[...])
        var madScore = defaultScore
        if q2 >= 1 {
            madScore = (q2 - mad) / q2
            if madScore < 0 || madScore.isNaN { madScore = 0 }
        }
        let skewScore = 1 - abs(skew)
        return round3((skewScore + madScore) / 2)
    }

    /// `montanaflynn/stats.Quartile` v0.7.1: Q1 and Q3 are the medians of the lower and upper halves,
    /// the middle value excluded when the count is odd.
    public static func quartiles(_ sorted: [Double]) -> (Double, Double, Double) {
        let n = sorted.count
        let lowerEnd = n / 2
        let upperStart = n % 2 == 0 ? n / 2 : n / 2 + 1
        return (median(sorted[..<lowerEnd]), median(sorted[...]), median(sorted[upperStart...]))
    }

    /// The median of sorted values (mean of the middle two for an even count; 0 when empty).
    public static func median(_ sorted: ArraySlice<Double>) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let mid = sorted.startIndex + sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Counts of timestamps in 24 equal-width bins over `[datasetStart, datasetEnd]` (last bin closed).
    public static func histogram(_ sorted: [Int64], datasetStart: Int64, datasetEnd: Int64) -> [Int] {
        var bins = [Int](repeating: 0, count: Defaults.bins)
        let span = Double(max(datasetEnd - datasetStart, 1))
        for t in sorted {
            let position = Double(t - datasetStart) / span * Double(Defaults.bins)
            bins[min(Defaults.bins - 1, max(0, Int(position)))] += 1
        }
        return bins
    }

    /// `getHistogramScore`: `max(cvScore, bimodalFit)` over the 24 bins.
    static func histogramScore(_ sorted: [Int64], datasetStart: Int64, datasetEnd: Int64) -> ([Int], Double) {
        let bins = histogram(sorted, datasetStart: datasetStart, datasetEnd: datasetEnd)
        return (bins, histogramScore(bins: bins))
    }

    /// The histogram score of given bin counts.
    public static func histogramScore(bins: [Int]) -> Double {
        let count = Double(bins.count)
        let mean = Double(bins.reduce(0, +)) / count
        let variance = bins.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / count
        let cv = mean > 0 ? variance.squareRoot() / mean : .infinity
        let cvScore = cv > 1 ? 0 : round3(1 - cv)
        let maxCount = bins.max() ?? 0
        let binSize = max(1, Int((Double(maxCount) * Defaults.modeSensitivity).rounded(.up)))
        var buckets: [Int: Int] = [:]
        var totalBars = 0
        for value in bins where value > 0 {
            totalBars += 1
            buckets[(value / binSize) * binSize, default: 0] += 1
        }
        var bimodal = 0.0
        if totalBars >= Defaults.bimodalMinHoursSeen {
            let frequencies = buckets.values.sorted(by: >)
            let top = frequencies[0] + (frequencies.count > 1 ? frequencies[1] : 0)
            bimodal = min(1, round3(Double(top) / Double(max(totalBars - Defaults.bimodalOutlierRemoval, 1))))
        }
        return max(cvScore, bimodal)
    }

    /// `getDurationScore`: 0 with fewer than 6 non-empty bins, else `max(coverage, consistency)`.
    public static func durationScore(_ sorted: [Int64], bins: [Int], datasetStart: Int64, datasetEnd: Int64) -> Double {
        let totalBars = bins.filter { $0 > 0 }.count
        guard totalBars >= Defaults.durationMinHoursSeen, let first = sorted.first, let last = sorted.last else { return 0 }
        let span = Double(max(datasetEnd - datasetStart, 1))
        let coverage = min(1, ceil3(Double(last - first) / span))
        var longest = 0, run = 0
        for i in 0..<(2 * bins.count) {  // twice round the clock: runs wrap around
            run = bins[i % bins.count] > 0 ? run + 1 : 0
            longest = max(longest, min(run, bins.count))
        }
        let consistency = min(1, ceil3(Double(longest) / Double(Defaults.consistencyIdealHoursSeen)))
        return max(coverage, consistency)
    }

    /// RITA's `math.Round(x*1000)/1000`.
    @inlinable
    public static func round3(_ x: Double) -> Double { (x * 1000).rounded(.toNearestOrAwayFromZero) / 1000 }

    /// RITA's `math.Ceil(x*1000)/1000`.
    @inlinable
    public static func ceil3(_ x: Double) -> Double { (x * 1000).rounded(.up) / 1000 }
}
