import Testing
@testable import Detect

/// RITA v5 parity: the helpers against hand-computed values, the weighted sum against RITA's own
/// integration-test figures, and whole scores against the behaviour REFERENCES.md §1.3 documents.
@Suite struct RITAScoreTests {
    @Test func quartilesExcludeTheMedianOfAnOddCount() {
        #expect(RITAScore.quartiles([1, 2, 3, 4, 5, 6, 7]) == (2, 4, 6))
        #expect(RITAScore.quartiles([1, 2, 3, 4, 5, 6, 7, 8]) == (2.5, 4.5, 6.5))
        #expect(RITAScore.quartiles([5]) == (0, 5, 0))
    }

    @Test func statisticalScoreByHand() {
        // Q1 15, Q2 30, Q3 70: skew 25/55; MAD of [20,10,0,10,70] is 10 → (30−10)/30.
        let score = RITAScore.statisticalScore([10, 20, 30, 40, 100], defaultScore: 1, minimumCount: 3)
        #expect(score == RITAScore.round3(((1 - 25.0 / 55) + 20.0 / 30) / 2))
        #expect(score == 0.606)
    }

    @Test func skewIsIgnoredBelowAnInterquartileRangeOf10() {
        // Q1 1, Q2 2, Q3 9: IQR 8 < 10, so skew is 0; MAD 1 → (2−1)/2.
        #expect(RITAScore.statisticalScore([1, 1, 2, 9, 9], defaultScore: 1, minimumCount: 3) == 0.75)
    }

    @Test func medianBelowOneUsesTheDefault() {
        #expect(RITAScore.statisticalScore([0, 0, 0, 5], defaultScore: 0, minimumCount: 3) == 0.5)
        #expect(RITAScore.statisticalScore([0, 0, 0, 5], defaultScore: 1, minimumCount: 3) == 1)
        #expect(RITAScore.statisticalScore([7, 7], defaultScore: 0, minimumCount: 3) == 0)
    }

    @Test func timestampScoreNeedsFourTimesAndThreeNonZeroIntervals() {
        #expect(RITAScore.timestampScore([0, 60, 120]) == nil)
        #expect(RITAScore.timestampScore([0, 0, 60, 60, 120]) == nil)
        #expect(RITAScore.timestampScore([0, 0, 60, 120, 180]) == 1)
    }

    /// `integration/beacons_test.go`: the weighted sum of the published components gives the published score.
    @Test func weightedSumMatchesRITAsIntegrationFigures() {
        #expect(RITAScore(timestamp: 1, dataSize: 1, histogram: 1, duration: 1).score == 1)
        #expect(RITAScore(timestamp: 0.407, dataSize: 0.632, histogram: 0, duration: 0.823).score == 0.465)
    }

    @Test func histogramCVAndBimodalFit() {
        #expect(RITAScore.histogramScore(bins: [Int](repeating: 60, count: 24)) == 1)
        // Two modes (10 and 40 per bin) in 12 bins each: CV 0.6 → 0.4; bimodal (12+12)/23 capped at 1.
        #expect(RITAScore.histogramScore(bins: (0..<24).map { $0 % 2 == 0 ? 10 : 40 }) == 1)
        // Only 6 busy bins: bimodal needs 11, CV of [5×6, 0×18] is √3 > 1.
        #expect(RITAScore.histogramScore(bins: [5, 5, 5, 5, 5, 5] + [Int](repeating: 0, count: 18)) == 0)
    }

    @Test func durationConsistencyWrapsAroundMidnight() {
        var bins = [Int](repeating: 0, count: 24)
        for hour in [20, 21, 22, 23, 0, 1, 2, 3] { bins[hour] = 1 }
        let times: [Int64] = [0, 3_600]
        // Coverage 3600/86400 → 0.042; longest run 8 of 12 ideal → 0.667.
        #expect(RITAScore.durationScore(times, bins: bins, datasetStart: 0, datasetEnd: 86_400) == 0.667)
        #expect(RITAScore.durationScore(times, bins: [1, 1, 1, 1, 1] + [Int](repeating: 0, count: 19),
                                        datasetStart: 0, datasetEnd: 86_400) == 0)
    }

    /// REFERENCES.md §1.3, first row: a 60 s beacon without jitter scores 1 in every component.
    @Test func exactBeaconScoresOne() throws {
        let times = (0..<1440).map { Int64($0) * 60 }
        let score = try #require(RITAScore(timestamps: times, sizes: [Double](repeating: 300, count: times.count),
                                           datasetStart: 0, datasetEnd: times.last!))
        #expect(score == RITAScore(timestamp: 1, dataSize: 1, histogram: 1, duration: 1))
    }

    /// §1.3: Cobalt-Strike jitter 50 % (uniform in [30, 60] s) keeps ts near 0.878 and the score near 0.97;
    /// Poisson arrivals with constant sizes still score about 0.84 (ts ≈ 0.504, hist ≈ 0.86).
    @Test(arguments: [
        ("cobalt-strike 50 %", 0.878, 0.970),
        ("poisson 60 s constant size", 0.504, 0.841),
    ])
    func behaviourUnderJitterMatchesTheReplica(name: String, expectedTimestamp: Double, expectedScore: Double) throws {
        var tsSum = 0.0, scoreSum = 0.0
        let runs = 10
        for seed in 1...runs {
            var rng = SeededRandom(seed: UInt64(seed))
            var t = 0.0
            var times: [Int64] = []
            while t < 86_400 {
                times.append(Int64(t))
                t += name.hasPrefix("poisson") ? rng.exponential(mean: 60) : 60 * (1 - 0.5 * rng.unit())
            }
            let score = try #require(RITAScore(timestamps: times, sizes: [Double](repeating: 300, count: times.count),
                                               datasetStart: 0, datasetEnd: 86_399))
            tsSum += score.timestamp
            scoreSum += score.score
        }
        print("rita \(name): ts \(tsSum / Double(runs)), score \(scoreSum / Double(runs))")
        #expect(abs(tsSum / Double(runs) - expectedTimestamp) < 0.03)
        #expect(abs(scoreSum / Double(runs) - expectedScore) < 0.03)
    }
}
