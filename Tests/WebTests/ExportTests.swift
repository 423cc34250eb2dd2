import DMARCStore
import DMARCWeb
import Foundation
import Testing

@Suite("Web: parsedmarc export")
struct ExportTests {
    @Test("/api/v1/export guards CSV cells a spreadsheet would run; raw=1 keeps them as stored")
    func formulaCells() throws {
        let f = try WebFixture()
        let token = f.bearer(f.adminToken)
        let xml = aggregateXML(
            org: "=HYPERLINK(\"http://evil.example\",\"open\")", reportID: "@formula", domain: "formula.example",
            begin: WebFixture.lastDay * 86_400,
            records: [TestRecord(ip: "192.0.2.9", count: 2, headerFrom: "formula.example")])
        #expect(f.send("POST", "/api/v1/reports", headers: token, body: Array(xml.utf8)).status == 200)
        let csv = f.send(
            "GET", "/api/v1/export", query: [("format", "csv"), ("domain", "formula.example")], headers: token)
        #expect(csv.status == 200)
        let lines = csv.text.split(separator: "\r\n")
        #expect(lines.count == 2)
        let row = String(lines.last ?? "")
        #expect(row.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"open\"\")\","))
        #expect(row.contains(",'@formula,"))
        #expect(!row.contains(",\"=HYPERLINK"))
        // The header keeps parsedmarc's names.
        #expect(lines.first == Substring(ParsedmarcFormat.csvColumns.joined(separator: ",")))
        let raw = f.send(
            "GET", "/api/v1/export", query: [("format", "csv"), ("domain", "formula.example"), ("raw", "1")],
            headers: token
        ).text
        #expect(raw.contains(",\"=HYPERLINK(\"\"http://evil.example\"\",\"\"open\"\")\","))
        #expect(raw.contains(",@formula,"))
        // JSON is not a spreadsheet: the value is as the report gave it.
        let json = f.send("GET", "/api/v1/export", query: [("domain", "formula.example")], headers: token).text
        #expect(json.contains("\"org_name\":\"=HYPERLINK("))
    }
}
