import DMARCCore

/// The period of a summary report: an ISO week (Monday to Sunday) or a calendar month, in UTC
/// day numbers.
struct SummaryPeriod: Equatable {
    enum Kind: String {
        case week, month
    }

    var kind: Kind
    var from: Int64
    var to: Int64

    var days: Int64 { to - from + 1 }
    var period: Period { Period(from: from, to: to, name: kind.rawValue) }
    var previous: SummaryPeriod { .containing(from - 1, kind) }
    var next: SummaryPeriod { .containing(to + 1, kind) }

    /// The week or month that contains `day`.
    static func containing(_ day: Int64, _ kind: Kind) -> SummaryPeriod {
        switch kind {
        case .week:
            // Day 0, 1 January 1970, was a Thursday: Monday is 3 days before it.
            let monday = day - mod(day + 3, 7)
            return SummaryPeriod(kind: .week, from: monday, to: monday + 6)
        case .month:
            let first = day - Int64(DayMath.civil(day: day).day - 1)
            let later = first + 31
            let nextFirst = later - Int64(DayMath.civil(day: later).day - 1)
            return SummaryPeriod(kind: .month, from: first, to: nextFirst - 1)
        }
    }

    private static func mod(_ a: Int64, _ n: Int64) -> Int64 { ((a % n) + n) % n }

    /// The ISO 8601 year and number of a week: the week belongs to the year of its Thursday.
    var isoWeek: (year: Int, week: Int) {
        let thursday = from + 3
        let year = DayMath.civil(day: thursday).year
        // Counted back to 1 January of that year through the months' first days.
        var first = thursday - Int64(DayMath.civil(day: thursday).day - 1)
        while DayMath.civil(day: first).month > 1 { first -= Int64(DayMath.civil(day: first - 1).day) }
        return (year, Int((thursday - first) / 7) + 1)
    }

    /// `2024-W40` or `2024-10`, for the API.
    var code: String {
        switch kind {
        case .week:
            let (year, week) = isoWeek
            return "\(year)-W\(week < 10 ? "0" : "")\(week)"
        case .month:
            return String(DayMath.isoDate(day: from).prefix(7))
        }
    }

    /// "Week 40 of 2024", "October 2024", in the page's language.
    func label(_ t: Localizer) -> String {
        switch kind {
        case .week:
            let (year, week) = isoWeek
            return t("summary.weekLabel", String(week), String(year))
        case .month:
            let (year, month, _) = DayMath.civil(day: from)
            return t.month(year: year, month: month)
        }
    }
}
