internal import Foundation

/// The non-periodic models the periodicity test must beat: Poisson timing (exponential intervals) and
/// bursty or diurnal timing (a two-component exponential mixture: quick requests inside sessions, long
/// quiet gaps between them).
enum NullModel {
    /// The maximised log-likelihood of a two-exponential mixture fitted by EM, started from the lower and
    /// upper halves of the intervals.
    ///
    /// - Parameter sorted: Positive intervals, ascending.
    static func twoExponentialLogLikelihood(_ sorted: [Double]) -> Double {
        let m = sorted.count
        guard m >= 4 else { return -.infinity }
        let half = m / 2
        var meanA = max(sorted[..<half].reduce(0, +) / Double(half), 1e-9)
        var meanB = max(sorted[half...].reduce(0, +) / Double(m - half), 1e-9)
        var weightA = 0.5
        var logLikelihood = -Double.infinity
        for _ in 0..<50 {
            var sumR = 0.0, sumRD = 0.0, sumD = 0.0, ll = 0.0
            for d in sorted {
                let a = weightA * exp(-d / meanA) / meanA
                let b = (1 - weightA) * exp(-d / meanB) / meanB
                let total = max(a + b, .leastNormalMagnitude)
                ll += log(total)
                let r = a / total
                sumR += r
                sumRD += r * d
                sumD += d
            }
            let converged = abs(ll - logLikelihood) <= 1e-7 * abs(ll)
            logLikelihood = ll
            if converged { break }
            weightA = min(max(sumR / Double(m), 1e-6), 1 - 1e-6)
            meanA = max(sumRD / max(sumR, 1e-12), 1e-9)
            meanB = max((sumD - sumRD) / max(Double(m) - sumR, 1e-12), 1e-9)
        }
        return logLikelihood
    }
}
