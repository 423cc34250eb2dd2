import DMARCCore
import Testing

@testable import DMARCStore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite("SQLite store: source profiles and days of reports")
struct SourceProfileStoreTests {
    let dir: String
    var path: String { "\(dir)/sources.sqlite3" }

    init() throws {
        dir =
            FileManager.default.temporaryDirectory.appendingPathComponent("dmarcwatch-sources-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func header(_ id: String, begin: Int64, end: Int64) -> AggregateReportHeader {
        var h = AggregateReportHeader()
        h.metadata.orgName = "Reporter"
        h.metadata.email = "dmarc@reporter.example"
        h.metadata.reportID = id
        h.metadata.begin = begin
        h.metadata.end = end
        h.policy.domain = "example.com"
        h.policy.p = "none"
        return h
    }

    func write(_ store: ReportStore, _ h: AggregateReportHeader, _ records: [AggregateRecord]) throws {
        let w = store.reportWriter(rawDocumentID: nil, sourceName: nil)
        #expect(try w.begin(h))
        for r in records { try w.record(r) }
        try w.finish(h)
    }

    func record(
        _ ip: String, _ count: Int64, headerFrom: String?, dkim: [(String, String)], spf: [(String, String, String)]
    ) -> AggregateRecord {
        var r = AggregateRecord()
        r.sourceIP = ip
        r.count = count
        r.disposition = "none"
        r.dkim = "fail"
        r.spf = "fail"
        r.headerFrom = headerFrom
        r.dkimResults = dkim.map { DKIMAuthResult(domain: $0.0, selector: "s1", result: $0.1) }
        r.spfResults = spf.map { SPFAuthResult(domain: $0.0, scope: $0.1, result: $0.2) }
        return r
    }

    @Test("results are filed under their record's From domain; temperror is a signature; HELO SPF is left out")
    func profiles() throws {
        let store = try ReportStore(path: path)
        let day: Int64 = 20_000
        try write(
            store, header("a", begin: day * 86_400, end: day * 86_400 + 86_399),
            [
                record(
                    "192.0.2.1", 10, headerFrom: "News.Example.com", dkim: [("example.com", "temperror")],
                    spf: [("example.com", "mfrom", "pass"), ("mx.example.com", "helo", "pass")]),
                record("192.0.2.1", 5, headerFrom: "example.com", dkim: [("example.com", "none")], spf: []),
                // A header_from outside the domain (a report may say anything) is filed under the domain.
                record(
                    "192.0.2.1", 2, headerFrom: "evil.example", dkim: [("evil.example", "pass")],
                    spf: [("evil.example", "mfrom", "softfail")]),
            ])
        let p = try #require(try store.sourceProfiles(domain: "example.com", fromDay: day, toDay: day).first)
        #expect(p.messages == 17)
        // The 5 with only "none" are unsigned; the temperror ones are signed.
        #expect(p.unsigned == 5)
        #expect(
            p.dkimResults == [
                .init(domain: "example.com", author: "news.example.com"): .init(temperror: 10),
                .init(domain: "evil.example", author: "example.com"): .init(pass: 2),
            ])
        // The HELO result is not the envelope's; softfail is no pass.
        #expect(
            p.spfResults == [
                .init(domain: "example.com", author: "news.example.com"): .init(pass: 10),
                .init(domain: "evil.example", author: "example.com"): .init(fail: 2),
            ])
        #expect(p.authorDomains == ["news.example.com", "example.com"])
        #expect(p.dkimSignatures["example.com"] == .init(temperror: 10))
    }

    @Test("days of reports: a day or two counts on its midpoint, a week on each of its days, within the period")
    func reportedDays() throws {
        let store = try ReportStore(path: path)
        let d: Int64 = 20_000
        let one = record("192.0.2.1", 1, headerFrom: "example.com", dkim: [], spf: [])
        // Day d (one day), d+1 twice (two reporters' same day counts once), and a weekly report
        // from d+3 to d+9 (midpoint d+6).
        try write(store, header("a", begin: d * 86_400, end: d * 86_400 + 86_399), [one])
        try write(store, header("b", begin: (d + 1) * 86_400, end: (d + 2) * 86_400), [one])
        try write(store, header("c", begin: (d + 1) * 86_400, end: (d + 1) * 86_400 + 86_399), [one])
        try write(store, header("w", begin: (d + 3) * 86_400, end: (d + 10) * 86_400), [one])
        // d, d+1, and d+3 … d+9: 9 days; sourceProfiles counts the same four reports.
        #expect(try store.reportedDays(domain: "example.com", fromDay: d, toDay: d + 30) == 9)
        #expect(try store.sourceProfiles(domain: "example.com", fromDay: d, toDay: d + 30).first?.messages == 4)
        // A period ending at d+6 still counts the weekly report (midpoint d+6) but only its days
        // up to d+6: d, d+1, d+3 … d+6.
        #expect(try store.reportedDays(domain: "example.com", fromDay: d, toDay: d + 6) == 6)
        #expect(try store.reportedDays(domain: "example.com", fromDay: d + 7, toDay: d + 30) == 0)
        // A forged report spanning decades (midpoint d) adds at most the period: 201 days.
        try write(store, header("forged", begin: (d - 5000) * 86_400, end: (d + 5000) * 86_400), [one])
        #expect(try store.reportedDays(domain: "example.com", fromDay: d - 100, toDay: d + 100) == 201)
    }
}
