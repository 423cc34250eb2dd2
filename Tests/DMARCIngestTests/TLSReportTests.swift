import DMARCCore
import DMARCStore
import Testing

@testable import DMARCIngest

@Suite("SMTP TLS reports (RFC 8460), read leniently")
struct TLSReportTests {
    static let files = [
        "parsedmarc-samples/smtp_tls/rfc8460.json", "parsedmarc-samples/smtp_tls/mail.ru.json",
        "parsedmarc-samples/smtp_tls/smtp_tls.json", "standards/tlsrpt/crinc-rfc-example.json",
        "standards/tlsrpt/crinc-google.json", "standards/tlsrpt/crinc-microsoft.json",
        "standards/tlsrpt/crinc-no-contact.json", "standards/tlsrpt/crinc-no-policy.json",
        "standards/tlsrpt/crinc-no_ip_and_mx.json",
    ]

    @Test("Every corpus TLS-RPT file parses", arguments: files)
    func corpus(_ file: String) throws {
        let report = try TLSReportParser.parse(try Fixtures.bytes("corpus/\(file)"))
        #expect(!report.policies.isEmpty)
        #expect(report.end >= report.start)
    }

    @Test("The RFC 8460 example: sessions, failures and their details")
    func rfcExample() throws {
        let r = try TLSReportParser.parse(try Fixtures.bytes("corpus/parsedmarc-samples/smtp_tls/rfc8460.json"))
        #expect(r.organizationName == "Company-X")
        #expect(r.start == 1_459_468_800)
        let p = try #require(r.policies.first)
        #expect(p.policyType == "sts")
        #expect(p.policyDomain == "company-y.example")
        #expect(p.mxHosts == ["*.mail.company-y.example"])
        #expect(p.successfulSessions == 5326 && p.failedSessions == 303)
        #expect(
            p.failures.map(\.resultType) == ["certificate-expired", "starttls-not-supported", "validation-failure"])
        #expect(p.failures.last?.failureReasonCode == "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED")
        #expect(p.failures[1].additionalInformation?.hasPrefix("https://") == true)
    }

    @Test("Microsoft's TLSA policy-string holding a JSON array is read as its strings")
    func microsoftTLSA() throws {
        let r = try TLSReportParser.parse(try Fixtures.bytes("corpus/standards/tlsrpt/crinc-microsoft.json"))
        let tlsa = try #require(r.policies.first { $0.policyType == "tlsa" })
        #expect(tlsa.policyStrings.count == 2)
        #expect(tlsa.policyStrings.first?.hasPrefix("3 1 1 ") == true)
        #expect(r.warnings.contains { $0.code == "value-mapped" })
    }

    @Test("mx-host as an array, a bogus \"mx: \" entry, null contact-info")
    func variants() throws {
        let google = try TLSReportParser.parse(try Fixtures.bytes("corpus/standards/tlsrpt/crinc-google.json"))
        #expect(google.policies.first?.mxHosts.isEmpty == false)
        let noContact = try TLSReportParser.parse(try Fixtures.bytes("corpus/standards/tlsrpt/crinc-no-contact.json"))
        #expect(noContact.contactInfo == nil)
        #expect(noContact.policies.allSatisfy { $0.mxHosts.allSatisfy { !$0.hasPrefix("mx: ") } })
    }

    @Test(
        "Times with offsets and fractions",
        arguments: [
            ("2016-04-01T00:00:00Z", Int64(1_459_468_800)), ("2016-04-01T09:00:00+09:00", 1_459_468_800),
            ("2016-04-01T00:00:00.123Z", 1_459_468_800), ("2016-04-01 00:00:00Z", 1_459_468_800),
        ])
    func times(_ text: String, _ epoch: Int64) {
        #expect(RFC3339.epoch(text) == epoch)
    }

    @Test(
        "Broken TLS-RPT JSON gets a clear error",
        arguments: [
            ("{", "not valid JSON"), (#"{"policies": []}"#, "organization-name"),
            (#"{"organization-name": "x", "report-id": "1", "policies": []}"#, "date-range"),
            (#"{"a": 1}"#, "not a TLS-RPT report"),
        ])
    func broken(_ json: String, _ expected: String) {
        do {
            _ = try TLSReportParser.parse(Array(json.utf8))
            Issue.record("parsed")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test("Negative or absurd session counts are not taken")
    func hostileCounts() throws {
        let json =
            #"{"organization-name": "x", "report-id": "1", "date-range": {"start-datetime": "2026-01-01T00:00:00Z", "end-datetime": "2026-01-01T23:59:59Z"}, "policies": [{"policy": {"policy-type": "sts", "policy-domain": "example.com"}, "summary": {"total-successful-session-count": -5, "total-failure-session-count": 9223372036854775807}}]}"#
        let r = try TLSReportParser.parse(Array(json.utf8))
        #expect(r.policies.first?.successfulSessions == 0)
        #expect(r.policies.first?.failedSessions == 0)
    }

    @Test("TLS reports are imported from mail and files, once, and summed per domain")
    func importAndSummary() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let store = try ReportStore(path: "\(dir)/tls.sqlite3")
        let inputs = [
            "parsedmarc-samples/smtp_tls/google.com_smtp_tls_report.eml", "parsedmarc-samples/smtp_tls/rfc8460.json",
            "standards/tlsrpt/parsedmarc-rfc8460.json",
        ].map { Fixtures.path("corpus/\($0)") }
        let summary = Importer(store: store).importPaths(inputs)
        #expect(summary.tlsReports == 2)
        #expect(summary.duplicates == 1)
        #expect(summary.failed == 0)
        let domains = try store.tlsSummary(ReportFilter())
        let company = try #require(domains.first { $0.domain == "company-y.example" })
        #expect(company.failedSessions == 303)
        #expect(company.failuresByType.first?.type == "starttls-not-supported")
        #expect(company.failingMXHosts.first?.host == "mx2.mail.company-y.example")
    }
}
