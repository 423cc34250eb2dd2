import Testing

@testable import DMARCCore

@Suite("TLS-RPT record (RFC 8460 §3, SPEC §4.1)")
struct RecordsTLSRPTTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var codes: [String]
        var rua: [String] = []
        var isRecord = true
        var testDescription: String { text }
    }

    static let cases: [Case] = [
        Case(text: "v=TLSRPTv1; rua=mailto:tlsrpt@example.com", codes: [], rua: ["mailto:tlsrpt@example.com"]),
        Case(
            text: "v=TLSRPTv1;rua=mailto:a@example.com , https://reports.example.net/tls;",
            codes: [], rua: ["mailto:a@example.com", "https://reports.example.net/tls"]),
        Case(text: "v=TLSRPTv1;", codes: ["tlsrpt-missing-rua"]),
        Case(
            text: "v=TLSRPTv1; rua=ftp://files.example.com/in",
            codes: ["tlsrpt-unsupported-scheme", "tlsrpt-no-valid-rua"]),
        Case(
            text: "v=TLSRPTv1; rua=http://reports.example.com/in, mailto:a@example.com",
            codes: ["tlsrpt-unsupported-scheme"], rua: ["mailto:a@example.com"]),
        Case(
            text: "v=TLSRPTv1; rua=mailto:a@example.com!10m", codes: ["tlsrpt-invalid-uri", "tlsrpt-no-valid-rua"]),
        Case(text: "v=TLSRPTv1; rua=tlsrpt@example.com", codes: ["tlsrpt-invalid-uri", "tlsrpt-no-valid-rua"]),
        Case(
            text: "v=TLSRPTv1; rua = mailto:a@example.com", codes: ["tlsrpt-syntax"], rua: ["mailto:a@example.com"]),
        Case(
            text: "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", codes: ["tlsrpt-duplicate-rua"],
            rua: ["mailto:a@example.com"]),
        Case(
            text: "v=TLSRPTv1; rua=mailto:a@example.com; junk", codes: ["tlsrpt-syntax"], rua: ["mailto:a@example.com"]),
        Case(text: "v=tlsrptv1; rua=mailto:a@example.com", codes: ["tlsrpt-invalid-version"], isRecord: false),
        Case(text: "rua=mailto:a@example.com; v=TLSRPTv1", codes: ["tlsrpt-invalid-version"], isRecord: false),
        Case(text: "v=TLSRPTv2; rua=mailto:a@example.com", codes: ["tlsrpt-invalid-version"], isRecord: false),
    ]

    @Test("Records give the expected findings and destinations", arguments: cases)
    func parse(_ c: Case) {
        let (record, findings) = TLSRPTRecord.parse(c.text)
        #expect((record != nil) == c.isRecord)
        #expect(findings.codes.sorted() == c.codes.sorted())
        #expect((record?.rua.map(\.uri) ?? []) == c.rua)
        #expect(findings.allSatisfy { $0.severity == .error && !$0.fix.isEmpty })
    }

    @Test("Extensions are kept and the record renders back")
    func render() throws {
        let record = try #require(
            TLSRPTRecord.parse("v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.net/x; ext_1=yes").record)
        #expect(record.extensions == [RecordTag(name: "ext_1", value: "yes")])
        #expect(record.rua.map(\.host) == ["example.com", "r.example.net"])
        #expect(record.render() == "v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.net/x; ext_1=yes")
        #expect(TLSRPTRecord.parse(record.render()).record == record)
    }
}

@Suite("BIMI record (SPEC §4.6)")
struct RecordsBIMITests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var codes: [String]
        var isRecord = true
        var testDescription: String { text }
    }

    static let cases: [Case] = [
        Case(text: "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem", codes: []),
        Case(text: "v=BIMI1; l=https://example.com/logo.svg", codes: ["bimi-no-authority"]),
        Case(text: "v=BIMI1; l=https://example.com/logo.svg; a=", codes: ["bimi-no-authority"]),
        Case(text: "v=BIMI1; l=; a=", codes: ["bimi-declined"]),
        Case(text: "v=BIMI1;", codes: ["bimi-declined"]),
        Case(
            text: "v=BIMI1; l=http://example.com/logo.svg; a=https://example.com/vmc.pem",
            codes: ["bimi-logo-not-https"]),
        Case(
            text: "v=BIMI1; l=https://example.com/logo.svg; a=http://example.com/vmc.pem",
            codes: ["bimi-authority-not-https", "bimi-no-authority"]),
        Case(text: "v=BIMI1; l=https://example.com/logo.png", codes: ["bimi-logo-not-svg", "bimi-no-authority"]),
        Case(
            text: "v=BIMI1; l=https://a.example/1.svg,https://b.example/2.svg; a=https://example.com/vmc.pem",
            codes: ["bimi-logo-invalid"]),
        Case(text: "v=BIMI1; a=https://example.com/vmc.pem", codes: ["bimi-missing-logo"]),
        Case(
            text: "v=BIMI1; l=https://example.com/logo.svg; a=https:///vmc.pem",
            codes: ["bimi-authority-invalid", "bimi-no-authority"]),
        Case(
            text: "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem; avp=team",
            codes: ["bimi-invalid-avp"]),
        Case(
            text:
                "v=BIMI1; l=https://example.com/logo.svg; l=https://example.com/other.svg; a=https://example.com/v.pem",
            codes: ["bimi-duplicate-tag"]),
        Case(
            text: "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem; x=1",
            codes: ["bimi-unknown-tag"]),
        Case(
            text: "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem; oops", codes: ["bimi-syntax"]
        ),
        Case(text: "v=bimi1; l=https://example.com/logo.svg", codes: ["bimi-invalid-version"], isRecord: false),
        Case(text: "l=https://example.com/logo.svg; v=BIMI1", codes: ["bimi-invalid-version"], isRecord: false),
    ]

    @Test("Records give the expected findings", arguments: cases)
    func parse(_ c: Case) {
        let (record, findings) = BIMIRecord.parse(c.text)
        #expect((record != nil) == c.isRecord)
        #expect(findings.codes.sorted() == c.codes.sorted())
    }

    @Test("Tags are read into fields and render back")
    func fields() throws {
        let text =
            "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem; lps=news,billing; avp=personal"
        let record = try #require(BIMIRecord.parse(text).record)
        #expect(record.logo == "https://example.com/logo.svg")
        #expect(record.authority == "https://example.com/vmc.pem")
        #expect(record.localPartSelectors == ["news", "billing"])
        #expect(record.avatarPreference == .personal)
        #expect(!record.declines)
        #expect(record.render() == text)
        #expect(BIMIRecord.parse(record.render()).record == record)
    }

    @Test("Severities: not https is an error, no certificate and declining are info")
    func severities() {
        func severity(_ text: String, _ code: String) -> FindingSeverity? {
            BIMIRecord.parse(text).findings.first { $0.code == code }?.severity
        }
        #expect(severity("v=BIMI1; l=http://example.com/l.svg", "bimi-logo-not-https") == .error)
        #expect(severity("v=BIMI1; l=https://example.com/l.svg", "bimi-no-authority") == .info)
        #expect(severity("v=BIMI1; l=", "bimi-declined") == .info)
    }
}
