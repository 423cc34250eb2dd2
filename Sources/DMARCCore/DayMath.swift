/// UTC day arithmetic on Unix seconds, and the rule that assigns a report's messages to days
/// (DESIGN §5).
public enum DayMath {
    public static let secondsPerDay: Int64 = 86_400

    /// The UTC day number (days since 1970-01-01) that contains `epoch`.
    public static func day(of epoch: Int64) -> Int64 {
        epoch >= 0 ? epoch / secondsPerDay : -((-epoch + secondsPerDay - 1) / secondsPerDay)
    }

    /// `YYYY-MM-DD` for a UTC day number.
    public static func isoDate(day: Int64) -> String {
        let (y, m, d) = civil(day: day)
        return "\(pad(Int64(y), 4))-\(pad(Int64(m), 2))-\(pad(Int64(d), 2))"
    }

    /// Year, month (1–12) and day of month of a UTC day number.
    public static func civil(day: Int64) -> (year: Int, month: Int, day: Int) {
        // Civil-from-days, Howard Hinnant's algorithm.
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    /// `YYYY-MM-DD HH:MM:SS` in UTC.
    public static func isoDateTime(_ epoch: Int64) -> String {
        let d = day(of: epoch)
        let s = epoch - d * secondsPerDay
        return "\(isoDate(day: d)) \(pad(s / 3600, 2)):\(pad(s % 3600 / 60, 2)):\(pad(s % 60, 2))"
    }

    /// Parses `YYYY-MM-DD` into a UTC day number; `nil` when malformed.
    public static func day(fromISO text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]),
            parts[0].count == 4, (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let mp = m > 2 ? m - 3 : m + 9
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let result = era * 146_097 + doe - 719_468
        return isoDate(day: result) == text ? result : nil
    }

    /// The days a report's messages count on, with each day's share of `count`.
    ///
    /// The interval is `[begin, end)`; reporters that give an inclusive end (23:59:59) and those
    /// that give the next midnight land on the same day. A report spanning at most two days counts
    /// on the day of its midpoint; a longer one is spread over its days in proportion to the
    /// seconds each covers, with largest-remainder rounding so the shares add up to `count`.
    public static func spread(count: Int64, begin: Int64, end: Int64) -> [(day: Int64, count: Int64)] {
        let span = end - begin
        if span <= 2 * secondsPerDay {
            return [(day(of: begin + max(span, 0) / 2), count)]
        }
        return shares(count: count, begin: begin, end: end)
    }

    /// `count` shared over the days `[begin, end)` covers, in proportion to the seconds of each,
    /// with largest-remainder rounding (ties to the earlier day) so the shares add up to `count`.
    public static func shares(count: Int64, begin: Int64, end: Int64) -> [(day: Int64, count: Int64)] {
        let span = end - begin
        guard span > 0 else { return [(day(of: begin), count)] }
        let first = day(of: begin)
        let last = day(of: end - 1)
        var shares: [(day: Int64, count: Int64, remainder: Int64)] = []
        var assigned: Int64 = 0
        for d in first...last {
            let lo = max(begin, d * secondsPerDay)
            let hi = min(end, (d + 1) * secondsPerDay)
            let covered = hi - lo
            let exact = count.multipliedFullWidth(by: covered)
            let (q, r) = span.dividingFullWidth(exact)
            shares.append((d, q, r))
            assigned += q
        }
        var left = count - assigned
        for i in shares.indices.sorted(by: {
            shares[$0].remainder > shares[$1].remainder || (shares[$0].remainder == shares[$1].remainder && $0 < $1)
        }) {
            guard left > 0 else { break }
            shares[i].count += 1
            left -= 1
        }
        return shares.filter { $0.count > 0 }.map { ($0.day, $0.count) }
    }

    private static func pad(_ n: Int64, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
