/// A small, fast, deterministic pseudo-random generator (SplitMix64, Steele et al. 2014).
///
/// The same seed gives the same sequence on every platform and Swift version, which is what makes
/// `medflow synth` output byte-identical for a seed. Streams for independent purposes are split off
/// with ``fork(_:)`` so adding traffic of one kind does not shift the randomness of another.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A new generator whose sequence depends on this one's seed and `label` only.
    public func fork(_ label: UInt64) -> SplitMix64 {
        var copy = SplitMix64(seed: state ^ (label &* 0xD1B5_4A32_D192_ED03))
        _ = copy.next()
        return copy
    }

    /// A uniform double in [0, 1).
    @inlinable
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A uniform double in [lower, upper).
    @inlinable
    public mutating func uniform(_ lower: Double, _ upper: Double) -> Double { lower + (upper - lower) * unit() }

    /// A uniform integer in `range` (slightly biased for huge ranges, which does not matter here).
    @inlinable
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// Whether an event of probability `p` happens.
    @inlinable
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// An exponentially distributed value with the given mean (the gap of a Poisson process).
    @inlinable
    public mutating func exponential(mean: Double) -> Double { -mean * log1pNegative(unit()) }

    /// A log-normally distributed value with the given median and shape `sigma` (object and transfer sizes).
    public mutating func logNormal(median: Double, sigma: Double) -> Double {
        median * exp(sigma * normal())
    }

    /// A standard normal value (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(unit(), 1e-300)
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A random element of a non-empty array.
    @inlinable
    public mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }

    @usableFromInline
    func log1pNegative(_ u: Double) -> Double { log(1 - u) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
