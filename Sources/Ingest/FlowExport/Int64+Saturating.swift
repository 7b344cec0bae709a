extension Int64 {
    /// `self + other`, or `Int64.max`/`Int64.min` where the sum does not fit: times computed from
    /// exporter-supplied 64-bit fields must not trap.
    @inline(__always)
    func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// `self - other`, or `Int64.max`/`Int64.min` where the difference does not fit.
    @inline(__always)
    func subtractingSaturated(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : difference
    }

    /// `self * other`, or `Int64.max`/`Int64.min` (by the product's sign) where it does not fit.
    @inline(__always)
    func multipliedSaturated(by other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) != (other < 0) ? .min : .max) : product
    }
}
