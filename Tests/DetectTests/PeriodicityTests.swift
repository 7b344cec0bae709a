import Testing
@testable import Detect

/// The periodicity test over many seeded series: detection and period error for beacons of every
/// jitter kind and miss rate, rejection of Poisson, diurnal and bursty timing.
@Suite struct PeriodicityTests {
    /// One simulated beacon scenario.
    struct BeaconCase: Sendable, CustomStringConvertible {
        var jitter: Double
        var kind: SimulatedSeries.Jitter
        var missRate: Double
        var connections: Int
        /// The detection rate the test must reach over the seeds.
        var minimumDetection: Double
        /// The share of detections whose period is within 5 % of the mean interval.
        var minimumAccuracy: Double = 0.95
        var description: String { "\(kind.rawValue) j=\(jitter) miss=\(missRate) n=\(connections)" }
    }

    static let seeds: [UInt64] = Array(1...200)

    static let beaconCases: [BeaconCase] = [
        BeaconCase(jitter: 0, kind: .symmetric, missRate: 0, connections: 12, minimumDetection: 1),
        BeaconCase(jitter: 0.1, kind: .symmetric, missRate: 0, connections: 12, minimumDetection: 1),
        BeaconCase(jitter: 0.2, kind: .symmetric, missRate: 0.1, connections: 12, minimumDetection: 0.95),
        BeaconCase(jitter: 0.5, kind: .symmetric, missRate: 0, connections: 24, minimumDetection: 0.9, minimumAccuracy: 0.65),
        BeaconCase(jitter: 0.5, kind: .symmetric, missRate: 0.3, connections: 40, minimumDetection: 0.9, minimumAccuracy: 0.6),
        BeaconCase(jitter: 0.5, kind: .symmetric, missRate: 0.3, connections: 200, minimumDetection: 1, minimumAccuracy: 0.85),
        BeaconCase(jitter: 0.5, kind: .oneSidedUp, missRate: 0, connections: 12, minimumDetection: 0.95),
        BeaconCase(jitter: 0.5, kind: .oneSidedUp, missRate: 0.3, connections: 40, minimumDetection: 0.95),
        BeaconCase(jitter: 0.5, kind: .oneSidedDown, missRate: 0.3, connections: 40, minimumDetection: 0.95, minimumAccuracy: 0.75),
        BeaconCase(jitter: 0.5, kind: .oneSidedDown, missRate: 0.3, connections: 500, minimumDetection: 1),
        BeaconCase(jitter: 0.3, kind: .symmetric, missRate: 0.3, connections: 12, minimumDetection: 0.25, minimumAccuracy: 0.6),
        BeaconCase(jitter: 0.5, kind: .symmetric, missRate: 0.3, connections: 12, minimumDetection: 0.05, minimumAccuracy: 0.3),
    ]

    @Test(arguments: beaconCases)
    func beaconsAreDetectedWithTheirPeriod(_ scenario: BeaconCase) {
        var detected = 0, accurate = 0
        for seed in Self.seeds {
            var rng = SeededRandom(seed: seed)
            let period = [30.0, 60, 300, 900, 3600][Int(seed % 5)]
            let (times, mean) = SimulatedSeries.beacon(period: period, jitter: scenario.jitter, kind: scenario.kind,
                                                       missRate: scenario.missRate, connections: scenario.connections,
                                                       rng: &rng)
            let result = Periodicity.test(times: times)
            guard result.isPeriodic else { continue }
            detected += 1
            if abs(result.period - mean) <= 0.05 * mean { accurate += 1 }
        }
        let rate = Double(detected) / Double(Self.seeds.count)
        print("periodicity \(scenario): detected \(detected)/\(Self.seeds.count), period within 5 %: \(accurate)/\(detected)")
        #expect(rate >= scenario.minimumDetection, "\(scenario): detection \(rate)")
        #expect(Double(accurate) >= scenario.minimumAccuracy * Double(detected),
                "\(scenario): \(accurate) of \(detected) within 5 %")
    }

    /// One non-periodic scenario.
    struct NoiseCase: Sendable, CustomStringConvertible {
        var name: String
        var make: @Sendable (inout SeededRandom) -> [Double]
        var description: String { name }
    }

    static let noiseCases: [NoiseCase] = [
        NoiseCase(name: "poisson n=12") { SimulatedSeries.poisson(mean: 60, count: 12, rng: &$0) },
        NoiseCase(name: "poisson n=40") { SimulatedSeries.poisson(mean: 60, count: 40, rng: &$0) },
        NoiseCase(name: "poisson n=1000") { SimulatedSeries.poisson(mean: 60, count: 1000, rng: &$0) },
        NoiseCase(name: "poisson n=6…300") {
            let count = 6 + Int($0.next() % 295)
            return SimulatedSeries.poisson(mean: 30 + 600 * $0.unit(), count: count, rng: &$0)
        },
        NoiseCase(name: "periodic-looking sizes, poisson timing, n=2000") {
            SimulatedSeries.poisson(mean: 60, count: 2000, rng: &$0)
        },
        NoiseCase(name: "diurnal poisson 24 h") { SimulatedSeries.diurnalPoisson(peakMean: 120, hours: 24, rng: &$0) },
        NoiseCase(name: "bursty sessions") { SimulatedSeries.bursty(sessionMean: 600, sessions: 60, rng: &$0) },
    ]

    @Test(arguments: noiseCases)
    func nonPeriodicTimingIsRejected(_ scenario: NoiseCase) {
        var alarms = 0
        for seed in Self.seeds + (scenario.name.contains("…") ? Array(201...2000) : []) {
            var rng = SeededRandom(seed: seed &+ 10_000)
            if Periodicity.test(times: scenario.make(&rng)).isPeriodic { alarms += 1 }
        }
        let runs = scenario.name.contains("…") ? 2000 : Self.seeds.count
        print("periodicity \(scenario): false alarms \(alarms)/\(runs)")
        #expect(Double(alarms) <= max(1, 0.002 * Double(runs)), "\(scenario): \(alarms) false alarms")
    }

    /// A phase-locked heartbeat (cron-like: each beat at its slot ± 2 %) that skips 60 % of its beats is
    /// beyond the interval test's miss cap; the spectral check finds it.
    @Test func phaseLockedScheduleWithMostBeatsMissedIsFoundSpectrally() {
        var found = 0, accurate = 0
        let seeds = Self.seeds.prefix(60)
        for seed in seeds {
            var rng = SeededRandom(seed: seed)
            let period = [60.0, 300, 900][Int(seed % 3)]
            var times: [Double] = []
            for slot in 0..<400 where rng.unit() >= 0.6 {
                times.append(Double(slot) * period + period * 0.02 * (2 * rng.unit() - 1))
            }
            let result = Periodicity.test(times: times)
            if result.isPeriodic { found += 1 }
            if result.isPeriodic && abs(result.period - period) <= 0.05 * period { accurate += 1 }
        }
        print("periodicity phase-locked ±2 %, 60 % missed, 400 slots: detected \(found)/\(seeds.count), period within 5 %: \(accurate)")
        #expect(Double(found) >= 0.9 * Double(seeds.count))
        #expect(Double(accurate) >= 0.95 * Double(found))
    }

    @Test func tooFewIntervalsAreNeverPeriodic() {
        let result = Periodicity.test(times: [0, 60, 120, 180])
        #expect(!result.isPeriodic)
        #expect(result.intervals == 3)
    }

    @Test func exactBeaconHasItsPeriodAndNoJitter() {
        let result = Periodicity.test(times: (0..<50).map { Double($0) * 42 })
        #expect(result.isPeriodic)
        #expect(abs(result.period - 42) < 1e-9)
        #expect(result.jitter < 1e-9)
        #expect(result.strength > 0.9)
    }
}
