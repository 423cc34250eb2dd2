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
        let line = ParsedmarcFormat.csvRows(report: report, record: record)
        #expect(line.hasPrefix("1.0,\"'=HYPERLINK(\"\"x\"\")\",'@x,,'-1,"))
        #expect(line.contains(",'+example.com,"))
        let raw = ParsedmarcFormat.csvRows(report: report, record: record, guarded: false)
        #expect(raw.hasPrefix("1.0,\"=HYPERLINK(\"\"x\"\")\",@x,,-1,"))
    }

    static func report(begin: Int64 = 0, end: Int64 = 86_399) -> StoredReport {
        var report = StoredReport(
            id: 1, version: nil, namespace: nil, flavour: "rfc7489", orgName: "Org", email: nil,
            extraContactInfo: nil, reportID: "r", begin: begin, end: end, errors: [], generator: nil,
            policy: PolicyPublished(), firstRecordID: 1, recordCount: 1)
        report.policy.domain = "example.com"
        report.policy.p = "quarantine"
        return report
    }

    static var record: AggregateRecord {
        var record = AggregateRecord()
        record.sourceIP = "192.0.2.1"
        record.count = 10
        record.headerFrom = "example.com"
        record.dkimResults = [DKIMAuthResult(domain: "example.com", selector: nil, result: nil)]
        record.spfResults = [SPFAuthResult(domain: "Bounce.Example.COM", scope: nil, result: nil)]
        return record
    }

    @Test("What parsedmarc fills in is filled in: schema, alignment modes, sp, selector, results, envelope_from")
    func parsedmarcDefaults() throws {
        let fields = JSONValue.object(ParsedmarcFormat.jsonReportFields(Self.report())).serialized()
        #expect(fields.contains(#""xml_schema":"draft""#))
        #expect(fields.contains(#""adkim":"r","aspf":"r","p":"quarantine","sp":"quarantine","pct":null"#), "\(fields)")
        let records = ParsedmarcFormat.jsonRecords(report: Self.report(), record: Self.record)
        #expect(records.count == 1)
        let json = try #require(records.first).serialized()
        #expect(json.contains(#""envelope_from":"bounce.example.com""#), "\(json)")
        #expect(json.contains(#""selector":"none","result":"none""#))
        #expect(json.contains(#""scope":"mfrom","result":"none""#))
        var domainless = Self.record
        domainless.dkimResults.append(DKIMAuthResult(domain: nil, selector: "s", result: "pass"))
        let listed = try #require(ParsedmarcFormat.jsonRecords(report: Self.report(), record: domainless).first)
        #expect(!listed.serialized().contains(#""selector":"s""#))
        #expect(json.contains(#""normalized_timespan":false"#))
        let csv = ParsedmarcFormat.csvRows(report: Self.report(), record: Self.record)
        #expect(csv.hasPrefix("draft,Org,,,r,1970-01-01 00:00:00,1970-01-01 23:59:59,False,,example.com,r,r,quarantine,quarantine,"))
        #expect(csv.hasSuffix(",bounce.example.com,example.com,,example.com,none,none,bounce.example.com,mfrom,none\r\n"))
        // What the report says is kept.
        var stated = Self.report()
        stated.version = "1.0"
        stated.policy.adkim = "s"
        stated.policy.sp = "none"
        let kept = JSONValue.object(ParsedmarcFormat.jsonReportFields(stated)).serialized()
        #expect(kept.contains(#""xml_schema":"1.0""#) && kept.contains(#""adkim":"s","aspf":"r","p":"quarantine","sp":"none""#))
    }

    @Test("A report over 24 hours is split by day as parsedmarc does, the counts adding up")
    func normalizedTimespan() throws {
        // 12:00 on day 0 to 06:00 on day 2: 12 h, 24 h and 6 h of 42 h.
        let report = Self.report(begin: 43_200, end: 2 * 86_400 + 21_600)
        let records = ParsedmarcFormat.jsonRecords(report: report, record: Self.record).map { $0.serialized() }
        #expect(records.count == 3)
        #expect(records[0].contains(#""count":3"#) && records[0].contains(#""interval_begin":"1970-01-01 12:00:00","interval_end":"1970-01-02 00:00:00""#))
        #expect(records[1].contains(#""count":6"#) && records[1].contains(#""interval_begin":"1970-01-02 00:00:00","interval_end":"1970-01-03 00:00:00""#))
        #expect(records[2].contains(#""count":1"#) && records[2].contains(#""interval_end":"1970-01-03 06:00:00""#))
        #expect(records.allSatisfy { $0.contains(#""normalized_timespan":true"#) })
        let fields = JSONValue.object(ParsedmarcFormat.jsonReportFields(report)).serialized()
        #expect(fields.contains(#""timespan_requires_normalization":true"#))
        let csv = ParsedmarcFormat.csvRows(report: report, record: Self.record).split(separator: "\r\n")
        #expect(csv.count == 3)
        #expect(csv.allSatisfy { $0.contains(",True,") })
    }
}
