import DMARCStore
import DMARCWeb
import Foundation
import Testing

@Suite("Web: the reports list")
struct ReportsPageTests {
    /// 130 reports for paged.example: 90 from "Paged Reporter A", 40 from "Other 100%_Co".
    static func fixture() throws -> WebFixture {
        let f = try WebFixture()
        for i in 0..<130 {
            let xml = aggregateXML(
                org: i < 90 ? "Paged Reporter A" : "Other 100%_Co", reportID: "p-\(i)", domain: "paged.example",
                begin: (WebFixture.lastDay - Int64(i % 20)) * 86_400,
                records: [TestRecord(ip: "192.0.2.\(i % 200)", count: 1, headerFrom: "paged.example")])
            let r = f.send("POST", "/api/v1/reports", headers: f.bearer(f.adminToken), body: Array(xml.utf8))
            #expect(r.status == 200)
        }
        return f
    }

    @Test("the list pages through every report, with the total and links to the other pages")
    func paging() throws {
        let f = try Self.fixture()
        let s = try f.signIn("alice")
        let first = f.send("GET", "/reports", query: [("domain", "paged.example")], headers: s.headers).text
        #expect(first.contains("Reports 1–100 of 130, newest first."))
        #expect(first.components(separatedBy: "<tr><td><a href=\"/reports/").count - 1 == 100)
        #expect(first.contains("href=\"/reports?domain=paged.example&amp;page=2\" rel=\"next\""))
        let second = f.send(
            "GET", "/reports", query: [("domain", "paged.example"), ("page", "2")], headers: s.headers
        ).text
        #expect(second.contains("Reports 101–130 of 130, newest first."))
        #expect(second.components(separatedBy: "<tr><td><a href=\"/reports/").count - 1 == 30)
        #expect(second.contains("rel=\"prev\""))
        #expect(!second.contains("rel=\"next\""))
        // Every report shows on exactly one page.
        func ids(_ html: String) -> Set<String> {
            Set(
                html.components(separatedBy: "<tr><td><a href=\"/reports/").dropFirst().map {
                    String($0.prefix { $0 != "\"" })
                })
        }
        #expect(ids(first).intersection(ids(second)).isEmpty)
        #expect(ids(first).union(ids(second)).count == 130)
        #expect(f.send("GET", "/reports", query: [("page", "0")], headers: s.headers).status == 400)
        #expect(f.send("GET", "/reports", query: [("page", "x")], headers: s.headers).status == 400)
    }

    @Test("the reporter filter matches any part of the name in any case, and % or _ only as themselves")
    func reporterFilter() throws {
        let f = try Self.fixture()
        let store = try f.store()
        let paged = ReportFilter(domains: ["paged.example"])
        #expect(try store.reportCount(paged, reporter: "paged reporter a") == 90)
        #expect(try store.reportCount(paged, reporter: "REPORTER") == 90)
        #expect(try store.reportCount(paged, reporter: "100%") == 40)
        #expect(try store.reportCount(paged, reporter: "%") == 40)
        #expect(try store.reportCount(paged, reporter: "%_c") == 40)
        #expect(try store.reportCount(paged, reporter: "_") == 40)
        #expect(try store.reportCount(paged, reporter: "nobody") == 0)
        let s = try f.signIn("alice")
        let page = f.send("GET", "/reports", query: [("reporter", "other 100")], headers: s.headers).text
        #expect(page.contains("Reports 1–40 of 40"))
        #expect(page.contains("<option value=\"Paged Reporter A\">"))
        // The API pages the same way.
        let api = try #require(
            f.send(
                "GET", "/api/v1/reports", query: [("domain", "paged.example"), ("limit", "50"), ("page", "3")],
                headers: f.bearer(f.adminToken)
            ).json as? [String: Any])
        #expect(api["total"] as? Int == 130)
        #expect(api["page"] as? Int == 3)
        #expect((api["reports"] as? [Any])?.count == 30)
        let filtered = try #require(
            f.send("GET", "/api/v1/reports", query: [("reporter", "PAGED")], headers: f.bearer(f.adminToken)).json
                as? [String: Any])
        #expect(filtered["total"] as? Int == 90)
    }
}
