import DMARCCore
import DMARCStore

/// The period a page shows: the last 7, 30 or 90 days, or a custom range; and the period of the
/// same length just before it, for "what changed".
struct Period: Equatable {
    var from: Int64
    var to: Int64
    /// `7`, `30`, `90` or `custom`.
    var name: String

    var days: Int64 { to - from + 1 }
    var previous: Period { Period(from: from - days, to: from - 1, name: name) }

    /// Reads `period`, `from` and `to` from the query. Presets end on `anchor`: the latest day
    /// with data, so a dashboard whose reports stopped a while ago still shows their last period.
    static func parse(_ request: HTTPRequest, anchor: Int64, defaultDays: Int64 = 30) throws -> Period {
        let name = request.query("period") ?? ""
        if name == "custom" || (name.isEmpty && (request.query("from") != nil || request.query("to") != nil)) {
            guard let from = request.query("from").flatMap(DayMath.day(fromISO:)),
                let to = request.query("to").flatMap(DayMath.day(fromISO:)), from <= to, to - from < 3660
            else {
                throw WebError.invalid("error.badPeriod", [])
            }
            return Period(from: from, to: to, name: "custom")
        }
        let days: Int64
        switch name {
        case "": days = defaultDays
        case "7", "30", "90": days = Int64(name)!
        default: throw WebError.invalid("error.periodPreset", [])
        }
        return Period(from: anchor - days + 1, to: anchor, name: String(days))
    }

    /// The latest day with data in the domains visible, else today.
    static func anchor(_ store: ReportStore, domains: [String]?) throws -> Int64 {
        let today = DayMath.day(of: Int64(timeNow()))
        return min(try store.latestDay(domains: domains) ?? today, today)
    }

    var queryPairs: [(String, String?)] {
        name == "custom"
            ? [("period", "custom"), ("from", DayMath.isoDate(day: from)), ("to", DayMath.isoDate(day: to))]
            : [("period", name)]
    }

    var json: JSONValue {
        .object([("from", .string(DayMath.isoDate(day: from))), ("to", .string(DayMath.isoDate(day: to)))])
    }
}

#if canImport(Glibc)
    import Glibc
#endif

func timeNow() -> Int { time(nil) }
