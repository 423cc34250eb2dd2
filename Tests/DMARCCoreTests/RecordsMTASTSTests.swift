import Testing

@testable import DMARCCore

@Suite("MTA-STS record and policy file (RFC 8461, SPEC §4.5)")
struct RecordsMTASTSTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var codes: [String]
        var id: String?
        var isRecord = true
        var testDescription: String { text }
    }

    static let records: [Case] = [
        Case(text: "v=STSv1; id=20160831085700Z;", codes: [], id: "20160831085700Z"),
        Case(text: "v=STSv1;id=abc123", codes: [], id: "abc123"),
        Case(
            text: "v=STSv1; id=" + String(repeating: "a", count: 32), codes: [], id: String(repeating: "a", count: 32)),
        Case(text: "v=STSv1; id=" + String(repeating: "a", count: 33), codes: ["mtasts-invalid-id"]),
        Case(text: "v=STSv1; id=2016-08-31", codes: ["mtasts-invalid-id"]),
        Case(text: "v=STSv1", codes: ["mtasts-missing-id"]),
        Case(text: "v=STSv1; id=a; id=b", codes: ["mtasts-duplicate-id"], id: "a"),
        Case(text: "v=STSv1; id=abc; foo bar", codes: ["mtasts-syntax"], id: "abc"),
        Case(text: "v=STSv1; id = abc", codes: ["mtasts-syntax", "mtasts-missing-id"]),
        Case(text: "v=STSV1; id=abc", codes: ["mtasts-invalid-version"], isRecord: false),
        Case(text: "v = STSv1; id=abc", codes: ["mtasts-invalid-version"], isRecord: false),
        Case(text: "id=abc; v=STSv1", codes: ["mtasts-invalid-version"], isRecord: false),
        Case(text: "", codes: ["mtasts-invalid-version"], isRecord: false),
    ]

    @Test("TXT records give the expected findings", arguments: records)
    func record(_ c: Case) {
        let (record, findings) = MTASTSRecord.parse(c.text)
        #expect((record != nil) == c.isRecord)
        #expect(record?.id == c.id)
        #expect(findings.codes.sorted() == c.codes.sorted())
        #expect(findings.allSatisfy { $0.severity == .error })
    }

    @Test("Extensions are kept and the record renders back")
    func extensions() throws {
        let record = try #require(MTASTSRecord.parse("v=STSv1; id=2026a; ext.name=value").record)
        #expect(record.extensions == [RecordTag(name: "ext.name", value: "value")])
        #expect(record.render() == "v=STSv1; id=2026a; ext.name=value")
        #expect(MTASTSRecord.parse(record.render()).record == record)
    }

    static let good =
        "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n"

    @Test("A good policy parses, with CRLF or LF")
    func goodPolicy() throws {
        for text in [Self.good, Self.good.replacing("\r\n", with: "\n")] {
            let (policy, findings) = MTASTSPolicy.parse(text)
            let p = try #require(policy)
            #expect(findings.isEmpty)
            #expect(p.mode == .enforce)
            #expect(p.maxAge == 604800)
            #expect(p.mx == ["mail.example.com", "*.example.net"])
            #expect(p.render() == Self.good)
            #expect(MTASTSPolicy.parse(p.render()).policy == p)
        }
    }

    struct PolicyCase: Sendable, CustomTestStringConvertible {
        var name: String
        var lines: [String]
        var codes: [String]
        var isPolicy = true
        var testDescription: String { name }
    }

    static let policies: [PolicyCase] = [
        PolicyCase(
            name: "testing", lines: ["version: STSv1", "mode: testing", "mx: mx.example.com", "max_age: 86400"],
            codes: ["mtasts-policy-testing"]),
        PolicyCase(
            name: "none without mx", lines: ["version: STSv1", "mode: none", "max_age: 86400"],
            codes: ["mtasts-policy-mode-none"]),
        PolicyCase(
            name: "short max_age", lines: ["version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 3600"],
            codes: ["mtasts-policy-short-max-age"]),
        PolicyCase(
            name: "max_age too large",
            lines: ["version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 31557601"],
            codes: ["mtasts-policy-invalid-max-age"]),
        PolicyCase(
            name: "max_age not a number",
            lines: ["version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: a week"],
            codes: ["mtasts-policy-invalid-max-age"]),
        PolicyCase(
            name: "max_age zero", lines: ["version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 0"],
            codes: ["mtasts-policy-short-max-age"]),
        PolicyCase(
            name: "missing max_age", lines: ["version: STSv1", "mode: enforce", "mx: mx.example.com"],
            codes: ["mtasts-policy-missing-max-age"]),
        PolicyCase(
            name: "missing mode", lines: ["version: STSv1", "mx: mx.example.com", "max_age: 86400"],
            codes: ["mtasts-policy-missing-mode"]),
        PolicyCase(
            name: "bad mode", lines: ["version: STSv1", "mode: Enforce", "mx: mx.example.com", "max_age: 86400"],
            codes: ["mtasts-policy-invalid-mode"]),
        PolicyCase(
            name: "enforce without mx", lines: ["version: STSv1", "mode: enforce", "max_age: 86400"],
            codes: ["mtasts-policy-no-mx"]),
        PolicyCase(
            name: "duplicate mode, first wins",
            lines: ["version: STSv1", "mode: testing", "mode: enforce", "mx: mx.example.com", "max_age: 86400"],
            codes: ["mtasts-policy-duplicate-key", "mtasts-policy-testing"]),
        PolicyCase(
            name: "unknown key ignored",
            lines: ["version: STSv1", "mode: enforce", "colour: blue", "mx: mx.example.com", "max_age: 86400"],
            codes: []),
        PolicyCase(
            name: "line without colon",
            lines: ["version: STSv1", "mode enforce", "mx: mx.example.com", "max_age: 86400"],
            codes: ["mtasts-policy-syntax", "mtasts-policy-missing-mode"]),
        PolicyCase(
            name: "bad mx patterns",
            lines: ["version: STSv1", "mode: enforce", "mx: *.*.example.com", "mx: mx .example.com", "max_age: 86400"],
            codes: ["mtasts-policy-invalid-mx", "mtasts-policy-invalid-mx", "mtasts-policy-no-mx"]),
        PolicyCase(
            name: "no version", lines: ["mode: enforce", "mx: mx.example.com", "max_age: 86400"],
            codes: ["mtasts-policy-missing-version"], isPolicy: false),
        PolicyCase(
            name: "wrong version", lines: ["version: STSv2", "mode: enforce", "mx: mx.example.com", "max_age: 86400"],
            codes: ["mtasts-policy-invalid-version"], isPolicy: false),
        PolicyCase(
            name: "an HTML page", lines: ["<!DOCTYPE html>", "<html><body>Not found</body></html>"],
            codes: ["mtasts-policy-syntax", "mtasts-policy-syntax", "mtasts-policy-missing-version"], isPolicy: false),
    ]

    @Test("Policy files give the expected findings", arguments: policies)
    func policy(_ c: PolicyCase) {
        let (policy, findings) = MTASTSPolicy.parse(c.lines.joined(separator: "\r\n") + "\r\n")
        #expect((policy != nil) == c.isPolicy)
        #expect(findings.codes.sorted() == c.codes.sorted())
    }

    @Test("Severities: testing is info, none is a warning, no mx is an error")
    func severities() {
        func severity(_ lines: [String], _ code: String) -> FindingSeverity? {
            MTASTSPolicy.parse(lines.joined(separator: "\n")).findings.first { $0.code == code }?.severity
        }
        #expect(
            severity(["version: STSv1", "mode: testing", "mx: a.example", "max_age: 86400"], "mtasts-policy-testing")
                == .info)
        #expect(severity(["version: STSv1", "mode: none", "max_age: 86400"], "mtasts-policy-mode-none") == .warning)
        #expect(severity(["version: STSv1", "mode: enforce", "max_age: 86400"], "mtasts-policy-no-mx") == .error)
        #expect(
            severity(
                ["version: STSv1", "mode: enforce", "mx: a.example", "max_age: 60"], "mtasts-policy-short-max-age")
                == .warning)
    }

    @Test("The first value of a repeated key wins")
    func firstWins() throws {
        let text = "version: STSv1\nmode: testing\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\nmax_age: 1\n"
        let policy = try #require(MTASTSPolicy.parse(text).policy)
        #expect(policy.mode == .testing)
        #expect(policy.maxAge == 86400)
    }

    static let matching: [(String, String, Bool)] = [
        ("mail.example.com", "mail.example.com", true),
        ("mail.example.com", "MAIL.Example.com.", true),
        ("mail.example.com", "mail2.example.com", false),
        ("*.example.net", "mx1.example.net", true),
        ("*.example.net", "MX1.example.net.", true),
        ("*.example.net", "a.b.example.net", false),
        ("*.example.net", "example.net", false),
        ("*.example.net", "xexample.net", false),
    ]

    @Test("mx patterns match as RFC 8461 §4.1 says", arguments: matching)
    func matches(_ c: (String, String, Bool)) {
        let policy = MTASTSPolicy(mode: .enforce, maxAge: 86400, mx: [c.0])
        #expect(policy.matches(mxHost: c.1) == c.2)
    }
}
