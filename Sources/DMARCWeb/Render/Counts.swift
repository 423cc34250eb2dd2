/// Arithmetic on message counts that cannot trap. Counts come from reports anyone can send and
/// the store's sums saturate at Int64.max, so a page must never add, subtract or multiply them
/// with the trapping operators.
enum Counts {
    /// `a + b`, Int64.max when that overflows.
    static func sum(_ a: Int64, _ b: Int64) -> Int64 {
        let (v, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? Int64.max : Int64.min) : v
    }

    /// `a - b`, never below zero: the part of `a` that `b` does not cover (saturated totals can
    /// make a part larger than its whole).
    static func difference(_ a: Int64, _ b: Int64) -> Int64 {
        let (v, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? (b < 0 ? Int64.max : 0) : max(v, 0)
    }

    /// The change from `before` to `now` in percent, or nil without a `before`.
    static func percentChange(from before: Int64, to now: Int64) -> Double? {
        guard before > 0 else { return nil }
        return (Double(now) - Double(before)) * 100 / Double(before)
    }
}
