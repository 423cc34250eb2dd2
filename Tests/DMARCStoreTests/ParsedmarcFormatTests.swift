import DMARCCore
import Testing

@testable import DMARCStore

@Suite("parsedmarc CSV: cells a spreadsheet would run")
struct ParsedmarcFormatTests {
    @Test(
        "a cell starting with = + - @ tab or CR gets a leading quote, then CSV quoting",
        arguments: [
            ("=HYPERLINK(\"http://evil.example\",\"x\")", "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\""),
            ("+1+2", "'+1+2"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"),
            ("\rcmd", "\"'\rcmd\""), ("\u{FF1D}1+1", "'\u{FF1D}1+1"), ("\u{FF20}x", "'\u{FF20}x"),
        ])
    func guarded(_ input: String, _ expected: String) {
        #expect(ParsedmarcFormat.csvField(input) == expected)
        #expect(ParsedmarcFormat.startsFormula(input))
    }

    @Test("other cells are unchanged; unguarded cells are only quoted")
    func unchanged() {
        for plain in ["example.com", "a=b", "2024-10-04 00:00:00", "192.0.2.1", "2001:db8::1", "", "True", "1 + 1"] {
            #expect(ParsedmarcFormat.csvField(plain) == plain, "\(plain)")
        }
        #expect(ParsedmarcFormat.csvField("a,b") == "\"a,b\"")
        #expect(ParsedmarcFormat.csvField("=1+1", guarded: false) == "=1+1")
        #expect(ParsedmarcFormat.csvField("=a,b", guarded: false) == "\"=a,b\"")
    }

    @Test("a record row guards every field and keeps the column count")
    func row() {
        var report = StoredReport(
            id: 1, version: "1.0", namespace: nil, flavour: "rfc7489", orgName: "=HYPERLINK(\"x\")", email: "@x",
            extraContactInfo: nil, reportID: "-1", begin: 0, end: 86_399, errors: [], generator: nil,
            policy: PolicyPublished(), firstRecordID: 1, recordCount: 1)
        report.policy.domain = "example.com"
        var record = AggregateRecord()
        record.sourceIP = "192.0.2.1"
        record.count = 3
        record.headerFrom = "+example.com"
        let line = ParsedmarcFormat.csvRow(report: report, record: record)
        #expect(line.hasPrefix("1.0,\"'=HYPERLINK(\"\"x\"\")\",'@x,,'-1,"))
        #expect(line.contains(",'+example.com,"))
        let raw = ParsedmarcFormat.csvRow(report: report, record: record, guarded: false)
        #expect(raw.hasPrefix("1.0,\"=HYPERLINK(\"\"x\"\")\",@x,,-1,"))
    }
}
