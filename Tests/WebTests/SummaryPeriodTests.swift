import DMARCCore
import Testing

@testable import DMARCWeb

@Suite("Web: summary periods")
struct SummaryPeriodTests {
    func day(_ iso: String) throws -> Int64 { try #require(DayMath.day(fromISO: iso)) }

    @Test(
        "a week is the ISO week, Monday to Sunday, numbered by the year of its Thursday",
        arguments: [
            ("2024-10-04", "2024-09-30", "2024-10-06", "2024-W40"),
            ("2024-09-30", "2024-09-30", "2024-10-06", "2024-W40"),
            ("2024-10-06", "2024-09-30", "2024-10-06", "2024-W40"),
            ("2021-01-03", "2020-12-28", "2021-01-03", "2020-W53"),
            ("2024-12-30", "2024-12-30", "2025-01-05", "2025-W01"),
            ("1970-01-01", "1969-12-29", "1970-01-04", "1970-W01"),
            ("2026-01-01", "2025-12-29", "2026-01-04", "2026-W01"),
        ])
    func weeks(_ date: String, _ monday: String, _ sunday: String, _ code: String) throws {
        let p = SummaryPeriod.containing(try day(date), .week)
        #expect(DayMath.isoDate(day: p.from) == monday)
        #expect(DayMath.isoDate(day: p.to) == sunday)
        #expect(p.code == code)
        #expect(p.previous.to == p.from - 1 && p.previous.days == 7)
        #expect(p.next.from == p.to + 1)
    }

    @Test("a month is the calendar month; the one before and after are whole months too")
    func months() throws {
        let feb = SummaryPeriod.containing(try day("2024-02-10"), .month)
        #expect(DayMath.isoDate(day: feb.from) == "2024-02-01")
        #expect(DayMath.isoDate(day: feb.to) == "2024-02-29")
        #expect(feb.days == 29)
        #expect(DayMath.isoDate(day: feb.previous.from) == "2024-01-01")
        #expect(feb.previous.days == 31)
        #expect(DayMath.isoDate(day: feb.next.to) == "2024-03-31")
        let dec = SummaryPeriod.containing(try day("2023-12-31"), .month)
        #expect(DayMath.isoDate(day: dec.next.from) == "2024-01-01")
        #expect(dec.code == "2023-12")
        #expect(dec.label(Localizer(.en)) == "December 2023")
        #expect(dec.label(Localizer(.ja)) == "2023年12月")
        #expect(SummaryPeriod.containing(try day("2024-10-04"), .week).label(Localizer(.ja)) == "2024年 第40週")
    }
}
