import Testing

@testable import DMARCCore

@Suite("DMARC record grammar (SPEC §1.2–1.3, §2.1)")
struct RecordsDMARCTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        /// Every finding code expected, in any order; `[]` means a clean record.
        var codes: [String]
        var isRecord = true
        var testDescription: String { text.isEmpty ? "(empty)" : text }
    }

    static let cases: [Case] = [
        Case(text: "v=DMARC1; p=reject; rua=mailto:dmarc@example.com", codes: []),
        Case(text: "v=DMARC1; p=none; rua=mailto:d@example.com", codes: ["dmarc-policy-none"]),
        Case(text: "v=DMARC1", codes: ["dmarc-missing-p", "dmarc-no-rua"]),
        Case(text: "v=DMARC1; rua=mailto:d@example.com", codes: ["dmarc-missing-p"]),
        Case(text: "p=reject; v=DMARC1", codes: ["dmarc-no-version"], isRecord: false),
        Case(text: "v=dmarc1; p=reject", codes: ["dmarc-invalid-version"], isRecord: false),
        Case(text: "v=DMARC2; p=reject", codes: ["dmarc-invalid-version"], isRecord: false),
        Case(text: "v=DMARC1p=reject", codes: ["dmarc-invalid-version"], isRecord: false),
        Case(text: "", codes: ["dmarc-no-version"], isRecord: false),
        Case(text: "v=spf1 -all", codes: ["dmarc-invalid-version"], isRecord: false),
        Case(
            text: "v=DMARC1; p=reject; p=none; rua=mailto:a@example.com", codes: ["dmarc-duplicate-tag"]),
        Case(text: "v=DMARC1; p=block; rua=mailto:a@example.com", codes: ["dmarc-invalid-p"]),
        Case(text: "v=DMARC1; p=reject; sp=bogus; rua=mailto:a@example.com", codes: ["dmarc-invalid-sp"]),
        Case(text: "v=DMARC1; p=reject; np=maybe; rua=mailto:a@example.com", codes: ["dmarc-invalid-np"]),
        Case(
            text: "v=DMARC1; p=reject; adkim=x; aspf=relaxed; rua=mailto:a@example.com",
            codes: ["dmarc-invalid-adkim", "dmarc-invalid-aspf"]),
        Case(
            text: "v=DMARC1; p=reject; rua=mailto:a@example.com; ruf=mailto:f@example.com; fo=0:1",
            codes: ["dmarc-fo-conflict", "dmarc-ruf-present"]),
        Case(
            text: "v=DMARC1; p=reject; rua=mailto:a@example.com; ruf=mailto:f@example.com; fo=2",
            codes: ["dmarc-invalid-fo", "dmarc-ruf-present"]),
        Case(
            text: "v=DMARC1; p=reject; rua=mailto:a@example.com; ruf=mailto:f@example.com; fo=d:d",
            codes: ["dmarc-invalid-fo", "dmarc-ruf-present"]),
        Case(text: "v=DMARC1; p=reject; rua=mailto:a@example.com; fo=1", codes: ["dmarc-fo-without-ruf"]),
        Case(
            text: "v=DMARC1; p=reject; psd=x; t=maybe; rua=mailto:a@example.com",
            codes: ["dmarc-invalid-psd", "dmarc-invalid-t"]),
        Case(text: "v=DMARC1; p=reject; rua=mailto:d@example.com!10m", codes: ["dmarc-uri-size-limit"]),
        Case(
            text: "v=DMARC1; p=reject; rua=https://reports.example.com/dmarc",
            codes: ["dmarc-uri-unsupported-scheme"]),
        Case(text: "v=DMARC1; p=reject; rua=dmarc@example.com", codes: ["dmarc-invalid-uri", "dmarc-no-rua"]),
        Case(text: "v=DMARC1; p=reject; rua=mailto:nobody", codes: ["dmarc-invalid-uri", "dmarc-no-rua"]),
        Case(text: "v=DMARC1; p=reject; rua=mailto:a@example.com!x", codes: ["dmarc-invalid-uri", "dmarc-no-rua"]),
        Case(text: "v=DMARC1; p=reject; rua=", codes: ["dmarc-invalid-rua", "dmarc-no-rua"]),
        Case(text: "v=DMARC1; p=reject; rua=mailto:a@example.com; ruf=", codes: ["dmarc-invalid-ruf"]),
        Case(
            text: "v=DMARC1; p=reject; sp=none; np=quarantine; rua=mailto:a@example.com",
            codes: ["dmarc-sp-weaker", "dmarc-np-weaker"]),
        Case(
            text: "v=DMARC1; p=reject; rua=mailto:a@example.com; ruf=mailto:f@example.com",
            codes: ["dmarc-ruf-present"]),
        Case(
            text: "v=DMARC1; p=reject; rua=mailto:a@example.com; pct=50; rf=afrf; ri=3600",
            codes: ["dmarc-legacy-tag", "dmarc-legacy-tag", "dmarc-legacy-tag"]),
        Case(
            text: "v=DMARC1; p=reject; rua=mailto:a@example.com; pct=150; rf=iodef; ri=-1",
            codes: ["dmarc-invalid-pct", "dmarc-invalid-rf", "dmarc-invalid-ri"]),
        Case(text: "v=DMARC1; p=reject; rua=mailto:a@example.com; foo=bar", codes: ["dmarc-unknown-tag"]),
        Case(text: "v=DMARC1; rua=mailto:a@example.com; p=reject", codes: ["dmarc-p-not-second"]),
        Case(text: "v=DMARC1; p=quarantine; t=y; rua=mailto:a@example.com", codes: ["dmarc-testing"]),
        Case(text: "v=DMARC1; p; rua=mailto:a@example.com", codes: ["dmarc-syntax", "dmarc-missing-p"]),
        Case(text: "v=DMARC1; p=reject; 1x=2; rua=mailto:a@example.com", codes: ["dmarc-syntax"]),
        Case(text: "  v = DMARC1 ;  P = Reject ; RUA = mailto:d@example.com ;  ", codes: []),
        Case(text: "V=DMARC1; p=reject; rua=mailto:a@example.com;", codes: []),
        Case(text: "v=DMARC1;p=reject;;rua=mailto:a@example.com", codes: []),
    ]

    @Test("Each record gives exactly the expected findings", arguments: cases)
    func findings(_ c: Case) {
        let (record, findings) = DMARCRecord.parse(c.text)
        #expect((record != nil) == c.isRecord)
        #expect(findings.codes.sorted() == c.codes.sorted())
        for finding in findings {
            #expect(!finding.message.isEmpty && !finding.fix.isEmpty, "\(finding.code) lacks text")
        }
    }

    @Test("Severities follow the brief")
    func severities() {
        func severity(_ text: String, _ code: String) -> FindingSeverity? {
            DMARCRecord.parse(text).findings.first { $0.code == code }?.severity
        }
        #expect(severity("v=DMARC1; p=reject; p=none", "dmarc-duplicate-tag") == .error)
        #expect(severity("v=DMARC1", "dmarc-missing-p") == .warning)
        #expect(severity("v=DMARC1; p=none", "dmarc-policy-none") == .info)
        #expect(severity("v=DMARC1; p=reject; rua=mailto:a@example.com!1m", "dmarc-uri-size-limit") == .warning)
        #expect(severity("v=DMARC1; p=reject; rua=https://example.com/r", "dmarc-uri-unsupported-scheme") == .warning)
        #expect(severity("v=DMARC1; p=reject; ruf=mailto:a@example.com", "dmarc-ruf-present") == .info)
        #expect(severity("v=DMARC1; p=reject; pct=10", "dmarc-legacy-tag") == .info)
        #expect(severity("v=DMARC1; p=reject; x=1", "dmarc-unknown-tag") == .warning)
        #expect(severity("v=DMARC1; p=reject; ruf=mailto:a@example.com; fo=0:1", "dmarc-fo-conflict") == .error)
        #expect(severity("v=DMARC1; p=reject; sp=none", "dmarc-sp-weaker") == .info)
    }

    @Test("Tags are read into fields, with names case-insensitive")
    func fields() throws {
        let text =
            "v=DMARC1; P=Quarantine; SP=reject; np=reject; adkim=s; aspf=r; t=n; psd=n; "
            + "rua=mailto:dmarc@example.com, mailto:ext@reports.example.net!50m; ruf=mailto:f@example.com; "
            + "fo=1:d:s; pct=100; rf=afrf; ri=86400; Extra=1"
        let record = try #require(DMARCRecord.parse(text).record)
        #expect(record.p == .quarantine)
        #expect(record.sp == .reject)
        #expect(record.np == .reject)
        #expect(record.adkim == .strict)
        #expect(record.aspf == .relaxed)
        #expect(record.t == false)
        #expect(record.psd == .no)
        #expect(record.rua.map(\.uri) == ["mailto:dmarc@example.com", "mailto:ext@reports.example.net"])
        #expect(record.rua.map(\.host) == ["example.com", "reports.example.net"])
        #expect(record.rua.map(\.address) == ["dmarc@example.com", "ext@reports.example.net"])
        #expect(record.rua.map(\.sizeLimit) == [nil, "50m"])
        #expect(record.ruf.map(\.address) == ["f@example.com"])
        #expect(record.fo == [.anyFail, .dkim, .spf])
        #expect(record.pct == 100)
        #expect(record.rf == "afrf")
        #expect(record.ri == 86400)
        #expect(record.unknownTags == [RecordTag(name: "Extra", value: "1")])
        #expect(record.invalidTags.isEmpty)
    }

    @Test("Defaults and effective policies")
    func effectiveValues() throws {
        let plain = try #require(DMARCRecord.parse("v=DMARC1; p=reject").record)
        #expect(plain.effectivePolicy == .reject)
        #expect(plain.effectiveSP == .reject)
        #expect(plain.effectiveNP == .reject)
        #expect(plain.effectiveADKIM == .relaxed)
        #expect(plain.effectiveASPF == .relaxed)
        #expect(plain.effectiveFailureOptions == [.allFail])
        #expect(plain.effectivePSD == .unknown)
        #expect(plain.isTesting == false)

        let sub = try #require(DMARCRecord.parse("v=DMARC1; p=none; sp=quarantine").record)
        #expect(sub.effectiveSP == .quarantine)
        #expect(sub.effectiveNP == .quarantine)
        let np = try #require(DMARCRecord.parse("v=DMARC1; p=none; sp=quarantine; np=reject; t=y").record)
        #expect(np.effectiveNP == .reject)
        #expect(np.isTesting)

        // RFC 9989 §4.10.1: missing or invalid p (or invalid sp/np) means p=none with a valid rua.
        let noP = try #require(DMARCRecord.parse("v=DMARC1; sp=reject; rua=mailto:a@example.com").record)
        #expect(noP.effectivePolicy == DMARCPolicy.none)
        #expect(noP.effectiveSP == DMARCPolicy.none)
        let badSP = try #require(DMARCRecord.parse("v=DMARC1; p=reject; sp=x; rua=mailto:a@example.com").record)
        #expect(badSP.effectivePolicy == DMARCPolicy.none)
        #expect(badSP.invalidTags == [RecordTag(name: "sp", value: "x")])
        let nothing = try #require(DMARCRecord.parse("v=DMARC1; p=bogus").record)
        #expect(nothing.effectivePolicy == nil)
        #expect(nothing.effectiveNP == nil)
    }

    @Test("The missing-p message says whether receivers fall back to p=none")
    func missingPMessage() throws {
        let withRUA = DMARCRecord.parse("v=DMARC1; rua=mailto:a@example.com").findings
        let without = DMARCRecord.parse("v=DMARC1").findings
        let a = try #require(withRUA.first { $0.code == "dmarc-missing-p" })
        let b = try #require(without.first { $0.code == "dmarc-missing-p" })
        #expect(a.message.contains("p=none"))
        #expect(b.message.contains("no DMARC processing"))
    }

    @Test("A legacy pct finding says that t=y replaces it")
    func pctFix() throws {
        let finding = try #require(DMARCRecord.parse("v=DMARC1; p=reject; pct=0").findings.first)
        #expect(finding.code == "dmarc-legacy-tag")
        #expect(finding.fix.contains("t=y"))
    }

    @Test("Authorisation records at _report._dmarc parse cleanly")
    func authorizationPurpose() {
        let (record, findings) = DMARCRecord.parse("v=DMARC1;", purpose: .reportAuthorization)
        #expect(record != nil)
        #expect(findings.isEmpty)
    }

    static let canonical: [(text: String, rendered: String)] = [
        ("v=DMARC1; p=reject; rua=mailto:dmarc@example.com", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"),
        (
            "v=DMARC1;rua=mailto:a@example.com,mailto:b@example.net!10m;p=quarantine;fo=1:d;ruf=mailto:f@example.com;"
                + "np=reject;sp=none;psd=y;t=y;aspf=s;adkim=s;ri=3600;rf=afrf;pct=20;zz=top",
            "v=DMARC1; p=quarantine; sp=none; np=reject; adkim=s; aspf=s; t=y; psd=y; "
                + "rua=mailto:a@example.com,mailto:b@example.net!10m; ruf=mailto:f@example.com; fo=1:d; pct=20; "
                + "rf=afrf; ri=3600; zz=top"
        ),
        ("v=DMARC1", "v=DMARC1"),
        ("v=DMARC1; P=NONE; RUA=mailto:A@Example.COM", "v=DMARC1; p=none; rua=mailto:A@Example.COM"),
    ]

    @Test("render writes the canonical order and parsing it round-trips", arguments: canonical)
    func render(_ c: (text: String, rendered: String)) throws {
        let record = try #require(DMARCRecord.parse(c.text).record)
        #expect(record.render() == c.rendered)
        let again = try #require(DMARCRecord.parse(record.render()).record)
        #expect(again == record)
    }

    @Test("A record built in code renders and parses back")
    func builtRecord() throws {
        var record = DMARCRecord(p: .reject)
        record.np = .reject
        record.rua = [try ReportURI.parse("mailto:dmarc@example.com").get()]
        #expect(record.render() == "v=DMARC1; p=reject; np=reject; rua=mailto:dmarc@example.com")
        #expect(DMARCRecord.parse(record.render()).record == record)
    }
}

@Suite("Report URIs (rua, ruf, TLS-RPT rua)")
struct RecordsReportURITests {
    @Test("mailto: gives the address and its domain")
    func mailto() throws {
        let uri = try ReportURI.parse("mailto:DMARC@Reports.Example.NET?subject=x").get()
        #expect(uri.scheme == "mailto")
        #expect(uri.address == "DMARC@reports.example.net")
        #expect(uri.host == "reports.example.net")
        #expect(uri.sizeLimit == nil)
        #expect(uri.isMailto)
    }

    @Test("https: gives the host; the size suffix is split off")
    func https() throws {
        let uri = try ReportURI.parse("https://user@Reports.Example.com:8443/in!20k").get()
        #expect(uri.scheme == "https")
        #expect(uri.host == "reports.example.com")
        #expect(uri.address == nil)
        #expect(uri.sizeLimit == "20k")
        #expect(uri.description == "https://user@Reports.Example.com:8443/in!20k")
    }

    static let bad: [(String, ReportURI.Problem)] = [
        ("", .empty),
        ("dmarc@example.com", .missingScheme),
        ("mailto:", .missingScheme),
        ("mailto:a b@example.com", .invalidCharacter(" ")),
        ("mailto:a@example.com%2", .invalidPercentEncoding),
        ("mailto:a@example.com!", .invalidSizeLimit("")),
        ("mailto:a@example.com!99999999999999999999", .invalidSizeLimit("99999999999999999999")),
        ("mailto:example.com", .invalidAddress),
        ("mailto:a@localhost", .invalidAddress),
        ("https:///path", .invalidHost),
        ("https:example.com", .invalidHost),
    ]

    @Test("Unusable URIs are refused with a reason", arguments: bad)
    func refused(_ c: (String, ReportURI.Problem)) {
        guard case .failure(let problem) = ReportURI.parse(c.0) else {
            Issue.record("\(c.0) was accepted")
            return
        }
        #expect(problem == c.1)
    }

    @Test("A ! is refused where no size limit is allowed")
    func noSizeLimit() {
        guard case .failure(let problem) = ReportURI.parse("mailto:a@example.com!1m", allowingSizeLimit: false) else {
            Issue.record("accepted")
            return
        }
        #expect(problem == .sizeLimitNotAllowed)
    }
}
