import DMARCCore
import Foundation
import Testing

@testable import DMARCStore
@testable import DMARCWeb

/// Totals at Int64.max: what the store's saturating sums give for reports that claim absurd
/// counts. Nothing on the way to a page may trap on them.
@Suite("Web: saturated counts")
struct OverflowTests {
    static var saturated: Totals {
        var t = Totals()
        t.messages = .max
        t.dmarcPass = .max
        t.dkimPass = .max
        t.spfPass = 3
        t.bothFail = .max
        t.quarantined = .max
        t.rejected = .max
        return t
    }

    @Test("the chart's scale and axis survive Int64.max totals")
    func chart() {
        #expect(Chart.niceCeiling(Int64.max) == Int64.max)
        #expect(Chart.niceCeiling(5_000_000_000_000_000_001) == Int64.max)
        #expect(Chart.niceCeiling(1_000_000_000_000_000_001) == 2_000_000_000_000_000_000)
        #expect(Chart.niceCeiling(0) == 1)
        #expect(Chart.niceCeiling(3) == 5)
        #expect(Chart.niceCeiling(101) == 200)
        var half = Totals()
        half.messages = .max
        half.dmarcPass = 0
        let svg = Chart.daily([10: Self.saturated, 11: half], from: 9, to: 11, t: Localizer(.en)).text
        #expect(svg.contains(">9,223,372,036,854,775,807</text>"))
        #expect(svg.contains(">4,611,686,018,427,387,903</text>"))
    }

    @Test("sums, differences and changes saturate instead of trapping")
    func counts() {
        #expect(Counts.sum(.max, 1) == .max)
        #expect(Counts.sum(.min, -1) == .min)
        #expect(Counts.sum(2, 3) == 5)
        #expect(Counts.difference(.max, 5) == .max - 5)
        #expect(Counts.difference(3, .max) == 0)
        #expect(Counts.difference(0, .min) == .max)
        #expect(Counts.difference(10, 4) == 6)
        #expect(Counts.percentChange(from: 0, to: 5) == nil)
        #expect(Counts.percentChange(from: 1, to: .max)?.isFinite == true)
        #expect(Localizer(.en).signedPercent(-0.04) == "+0.0%")
        #expect(Localizer(.en).points(-1.25).hasPrefix("\u{2212}1."))
        #expect(Localizer(.en).number(-5) == "\u{2212}5")
    }

    @Test("the overview, domain, summary and source pages answer for a day whose totals saturated")
    func pages() throws {
        let f = try WebFixture()
        let store = try f.store()
        let day = WebFixture.lastDay
        try store.db.execute(
            """
            INSERT INTO domain_daily VALUES ('saturated.example', \(day), \(Int64.max), \(Int64.max), \(Int64.max), 3,
              \(Int64.max), \(Int64.max), \(Int64.max));
            INSERT INTO domain_daily VALUES ('saturated.example', \(day - 1), 7, 7, 7, 7, 0, 0, 0);
            INSERT INTO daily_rollup VALUES (\(day), 'saturated.example', '192.0.2.250', 'saturated.example',
              'reject', 'fail', 'fail', 0, \(Int64.max));
            INSERT INTO daily_rollup VALUES (\(day), 'saturated.example', '192.0.2.250', 'saturated.example',
              'quarantine', 'pass', 'fail', 1, \(Int64.max));
            INSERT INTO daily_rollup VALUES (\(day - 1), 'saturated.example', '192.0.2.250', 'saturated.example',
              'none', 'pass', 'pass', 1, 7);
            """)
        let s = try f.signIn("alice")
        for path in [
            "/", "/domains/saturated.example", "/domains/saturated.example/summary", "/sources/192.0.2.250",
            "/api/v1/overview", "/api/v1/domains/saturated.example", "/api/v1/sources/192.0.2.250",
        ] {
            let r = f.send("GET", path, headers: s.headers)
            #expect(r.status == 200, "\(path): \(r.status)")
        }
        let overview = f.send("GET", "/", headers: s.headers).text
        #expect(overview.contains("9,223,372,036,854,775,807"))
        let month = f.send(
            "GET", "/domains/saturated.example/summary", query: [("period", "month")], headers: s.headers)
        #expect(month.status == 200)
    }
}
