import DMARCStore
import DMARCWeb
import Foundation
import Testing

@Suite("Web: the source page")
struct SourcePageTests {
    @Test("the store gives the newest records up to the limit, how many there are, and totals from the rollup")
    func activity() throws {
        let f = try WebFixture()
        let store = try f.store()
        let all = try store.sourceActivity(
            ip: "209.85.220.41", domains: nil, fromDay: WebFixture.lastDay - 30, toDay: WebFixture.lastDay)
        #expect(all.records.count == 10)
        #expect(all.recordCount == 10)
        // Google sent 100 + 101 + … + 109.
        #expect(all.total.messages == 1_045)
        #expect(all.days.count == 10)
        #expect(all.days[WebFixture.lastDay]?.messages == 100)
        let capped = try store.sourceActivity(
            ip: "209.85.220.41", domains: ["example.com"], fromDay: WebFixture.lastDay - 30, toDay: WebFixture.lastDay,
            limit: 3)
        #expect(capped.records.count == 3)
        #expect(capped.recordCount == 10)
        #expect(capped.total.messages == 1_045)
        // The newest three: the last three days' reports.
        #expect(capped.records.map(\.count) == [100, 101, 102])
        // Another domain's address is nothing in this one.
        let hidden = try store.sourceActivity(
            ip: "198.51.100.77", domains: ["example.com"], fromDay: WebFixture.lastDay - 30, toDay: WebFixture.lastDay)
        #expect(hidden.records.isEmpty && hidden.recordCount == 0 && hidden.total.messages == 0)
    }

    @Test("a heavy sender: totals and the chart count every message; the page says the record list is capped")
    func heavySender() throws {
        let f = try WebFixture()
        let records = (0..<2_500).map { i in
            TestRecord(ip: "192.0.2.77", count: 1 + i % 2, headerFrom: "heavy\(i).example.com")
        }
        let xml = aggregateXML(
            org: "Heavy", reportID: "heavy-1", domain: "example.com", begin: WebFixture.lastDay * 86_400,
            records: records)
        #expect(f.send("POST", "/api/v1/reports", headers: f.bearer(f.adminToken), body: Array(xml.utf8)).status == 200)
        let s = try f.signIn("alice")
        let page = f.send("GET", "/sources/192.0.2.77", headers: s.headers)
        #expect(page.status == 200)
        #expect(page.text.contains("Showing the latest 2,000 of 2,500 records"))
        // 1,250 records of 1 message and 1,250 of 2.
        #expect(page.text.contains("<div class=\"value\">3,750</div>"))
        let api = try #require(
            f.send("GET", "/api/v1/sources/192.0.2.77", headers: f.bearer(f.adminToken)).json as? [String: Any])
        #expect(api["record_count"] as? Int == 2_500)
        #expect((api["records"] as? [Any])?.count == 2_000)
        #expect((api["totals"] as? [String: Any])?["messages"] as? Int == 3_750)
        let daily = try #require(api["daily"] as? [[String: Any]])
        #expect(daily.reduce(0) { $0 + ($1["messages"] as? Int ?? 0) } == 3_750)
    }
}
