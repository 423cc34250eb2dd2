import Testing

@testable import DMARCCore

@Suite("SPF record syntax (RFC 7208, SPEC §5.1)")
struct RecordsSPFTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var codes: [String]
        var testDescription: String { text.count > 60 ? String(text.prefix(60)) + "…" : text }
    }

    static let cases: [Case] = [
        Case(text: "v=spf1 -all", codes: []),
        Case(text: "v=spf1 include:_spf.google.com ~all", codes: []),
        Case(text: "V=SPF1 MX IP4:192.0.2.0/24 -ALL", codes: []),
        Case(text: "v=spf1  a   mx  -all", codes: []),
        Case(text: "v=spf1 +all", codes: ["spf-pass-all"]),
        Case(text: "v=spf1 all", codes: ["spf-pass-all"]),
        Case(text: "v=spf1 ?all", codes: ["spf-neutral-all"]),
        Case(text: "v=spf1 ip4:192.0.2.1", codes: ["spf-no-all"]),
        Case(text: "v=spf1", codes: ["spf-no-all"]),
        Case(text: "v=spf1 redirect=_spf.example.com", codes: []),
        Case(text: "v=spf1 -all redirect=_spf.example.com", codes: ["spf-redirect-ignored"]),
        Case(text: "v=spf1 -all ip4:192.0.2.1 mx", codes: ["spf-after-all"]),
        Case(text: "v=spf1 -all exp=explain.example.com", codes: []),
        Case(text: "v=spf1 ptr -all", codes: ["spf-ptr"]),
        Case(text: "v=spf1 ptr:example.com -all", codes: ["spf-ptr"]),
        Case(text: "v=spf1 ip4:192.0.2.4~all", codes: ["spf-glued-all", "spf-no-all"]),
        Case(text: "v=spf1 ip4:192.0.2.4-all", codes: ["spf-glued-all", "spf-no-all"]),
        Case(text: "v=spf1 include:_spf.example.com?all", codes: ["spf-glued-all", "spf-no-all"]),
        Case(text: "v=spf1 foo:bar -all", codes: ["spf-unknown-mechanism"]),
        Case(text: "v=spf1 ipv4:192.0.2.1 -all", codes: ["spf-unknown-mechanism"]),
        Case(text: "v=spf1 inlcude:example.com -all", codes: ["spf-unknown-mechanism"]),
        Case(text: "v=spf1 ip4:192.0.2.256 -all", codes: ["spf-invalid-ip"]),
        Case(text: "v=spf1 ip4:192.0.2 -all", codes: ["spf-invalid-ip"]),
        Case(text: "v=spf1 ip4:2001:db8::1 -all", codes: ["spf-invalid-ip"]),
        Case(text: "v=spf1 ip6:192.0.2.1 -all", codes: ["spf-invalid-ip"]),
        Case(text: "v=spf1 ip6:2001:db8::g -all", codes: ["spf-invalid-ip"]),
        Case(text: "v=spf1 ip4:192.0.2.0/33 -all", codes: ["spf-invalid-cidr"]),
        Case(text: "v=spf1 ip4:192.0.2.0/024 -all", codes: ["spf-invalid-cidr"]),
        Case(text: "v=spf1 ip4:192.0.2.0/ -all", codes: ["spf-invalid-cidr"]),
        Case(text: "v=spf1 ip6:2001:db8::/129 -all", codes: ["spf-invalid-cidr"]),
        Case(text: "v=spf1 a/33 -all", codes: ["spf-invalid-cidr"]),
        Case(text: "v=spf1 mx:example.com/24//129 -all", codes: ["spf-invalid-cidr"]),
        Case(text: "v=spf1 a:example.com/24//64 mx/0 mx//0 ip6:::1 ip4:0.0.0.0/0 -all", codes: []),
        Case(
            text: "v=spf1 redirect=a.example.com redirect=b.example.com", codes: ["spf-duplicate-modifier"]),
        Case(
            text: "v=spf1 exp=a.example.com exp=b.example.com -all", codes: ["spf-duplicate-modifier"]),
        Case(text: "v=spf1 exists:%{i}._spf.%{d} -all", codes: []),
        Case(text: "v=spf1 exists:%{ir}.%{v}._spf.%{d2} include:%{L-}.%{o}.%{h}.%{p}.example.com -all", codes: []),
        Case(text: "v=spf1 exists:%{s5r.-+,/_=}.example.com -all", codes: []),
        Case(text: "v=spf1 exists:%%.%_.%-.example.com -all", codes: []),
        Case(text: "v=spf1 include:%{x}.example.com -all", codes: ["spf-invalid-macro"]),
        Case(text: "v=spf1 exists:%{i -all", codes: ["spf-invalid-macro"]),
        Case(text: "v=spf1 include:50%.example.com -all", codes: ["spf-invalid-macro"]),
        Case(text: "v=spf1 exists:%{c}.example.com -all", codes: ["spf-invalid-macro"]),
        Case(text: "v=spf1 exists:%{d0}.example.com -all", codes: ["spf-invalid-macro"]),
        Case(text: "v=spf1 exists:%{d2x}.example.com -all", codes: ["spf-invalid-macro"]),
        Case(text: "v=spf1 -all exp=%{z}.example.com", codes: ["spf-invalid-macro"]),
        Case(text: "v=spf1 include: -all", codes: ["spf-syntax"]),
        Case(text: "v=spf1 include -all", codes: ["spf-syntax"]),
        Case(text: "v=spf1 exists -all", codes: ["spf-syntax"]),
        Case(text: "v=spf1 ip4 -all", codes: ["spf-syntax"]),
        Case(text: "v=spf1 mx: -all", codes: ["spf-syntax"]),
        Case(text: "v=spf1 a -all:x", codes: ["spf-syntax", "spf-no-all"]),
        Case(text: "v=spf1 include:example -all", codes: ["spf-invalid-domain"]),
        Case(text: "v=spf1 include:example.com/24 -all", codes: ["spf-invalid-domain"]),
        Case(text: "v=spf1 include:ex..ample.com -all", codes: ["spf-invalid-domain"]),
        Case(text: "v=spf1 a:192.0.2.1 -all", codes: ["spf-invalid-domain"]),
        Case(text: "v=spf1 redirect=", codes: ["spf-invalid-domain", "spf-no-all"]),
        Case(text: "v=spf1 foo=bar -all", codes: ["spf-unknown-modifier"]),
        Case(text: "v=spf1 " + String(repeating: "ip4:192.0.2.1 ", count: 32) + "-all", codes: ["spf-record-long"]),
        Case(text: "v=spf1 " + String(repeating: "ip4:192.0.2.1 ", count: 36) + "-all", codes: ["spf-record-too-long"]),
    ]

    @Test("Each record gives exactly the expected findings", arguments: cases)
    func findings(_ c: Case) throws {
        let (record, findings) = SPFRecord.parse(c.text)
        #expect(record != nil)
        #expect(findings.codes.sorted() == c.codes.sorted())
        for finding in findings {
            #expect(!finding.message.isEmpty && !finding.fix.isEmpty, "\(finding.code) lacks text")
        }
    }

    @Test("Severities follow RFC 7208 and the brief")
    func severities() {
        func severity(_ text: String, _ code: String) -> FindingSeverity? {
            SPFRecord.parse(text).findings.first { $0.code == code }?.severity
        }
        #expect(severity("v=spf1 +all", "spf-pass-all") == .error)
        #expect(severity("v=spf1 ?all", "spf-neutral-all") == .warning)
        #expect(severity("v=spf1 mx", "spf-no-all") == .warning)
        #expect(severity("v=spf1 ptr -all", "spf-ptr") == .warning)
        #expect(severity("v=spf1 -all mx", "spf-after-all") == .warning)
        #expect(severity("v=spf1 ip4:192.0.2.1~all", "spf-glued-all") == .error)
        #expect(severity("v=spf1 bogus -all", "spf-unknown-mechanism") == .error)
        #expect(severity("v=spf1 " + String(repeating: "a ", count: 230), "spf-record-long") == .warning)
        #expect(severity("v=spf1 " + String(repeating: "a ", count: 260), "spf-record-too-long") == .error)
    }

    static let notSPF = ["v=spf10 -all", " v=spf1 -all", "spf1 -all", "", "v=spf", "v=DMARC1; p=none", "v=spf1\t-all"]

    @Test("Text that is not an SPF record gives nil and no findings", arguments: notSPF)
    func rejectsNonSPF(_ text: String) {
        #expect(SPFRecord.isSPF(text) == false)
        let (record, findings) = SPFRecord.parse(text)
        #expect(record == nil)
        #expect(findings.isEmpty)
    }

    @Test("isSPF accepts v=spf1 alone or followed by a space")
    func isSPF() {
        #expect(SPFRecord.isSPF("v=spf1"))
        #expect(SPFRecord.isSPF("v=spf1 -all"))
        #expect(SPFRecord.isSPF("V=SpF1 -all"))
    }

    @Test("Terms are taken apart")
    func terms() throws {
        let text =
            "v=spf1 -a:mail.example.com/24//64 ~mx ?ip4:192.0.2.0/24 ip6:2001:db8::/32 "
            + "include:_spf.example.net exists:%{i}.x.example.com ptr redirect=_spf.example.org exp=why.example.com "
            + "custom=value"
        let record = try #require(SPFRecord.parse(text).record)
        let mechanisms = record.mechanisms
        #expect(mechanisms.count == 7)
        #expect(
            mechanisms[0]
                == SPFMechanism(
                    .a, qualifier: .fail, domainSpec: "mail.example.com", ip4PrefixLength: 24, ip6PrefixLength: 64))
        #expect(mechanisms[1] == SPFMechanism(.mx, qualifier: .softfail))
        #expect(mechanisms[2] == SPFMechanism(.ip4, qualifier: .neutral, network: "192.0.2.0", ip4PrefixLength: 24))
        #expect(mechanisms[3] == SPFMechanism(.ip6, network: "2001:db8::", ip6PrefixLength: 32))
        #expect(mechanisms[4].domainSpec == "_spf.example.net")
        #expect(mechanisms[5].kind == .exists)
        #expect(mechanisms[6].kind == .ptr && mechanisms[6].domainSpec == nil)
        #expect(record.includes == ["_spf.example.net"])
        #expect(record.redirect == "_spf.example.org")
        #expect(record.explanation == "why.example.com")
        #expect(record.allQualifier == nil)
        #expect(record.terms.last == .modifier(name: "custom", value: "value"))
        #expect(record.render() == text)
    }

    @Test("allQualifier is the first all's qualifier")
    func allQualifier() throws {
        #expect(try #require(SPFRecord.parse("v=spf1 mx -all").record).allQualifier == .fail)
        #expect(try #require(SPFRecord.parse("v=spf1 ~all").record).allQualifier == .softfail)
        #expect(try #require(SPFRecord.parse("v=spf1 all").record).allQualifier == .pass)
    }

    static let lookupCounts: [(String, [String])] = [
        ("v=spf1 ip4:192.0.2.1 ip6:::1 -all", []),
        (
            "v=spf1 a mx ptr exists:%{i}.x.example.com include:a.example.com -all",
            [
                "a", "mx", "ptr", "exists:%{i}.x.example.com", "include:a.example.com",
            ]
        ),
        ("v=spf1 include:a.example.com redirect=b.example.com", ["include:a.example.com", "redirect=b.example.com"]),
        // Terms after all are never evaluated; redirect is ignored when all is present.
        ("v=spf1 mx -all include:late.example.com redirect=b.example.com", ["mx"]),
        ("v=spf1 exp=x.example.com -all", []),
    ]

    @Test("dnsLookupTerms lists what counts toward the limit of 10", arguments: lookupCounts)
    func lookupTerms(_ c: (String, [String])) throws {
        let record = try #require(SPFRecord.parse(c.0).record)
        #expect(record.dnsLookupTerms.map(\.description) == c.1)
    }

    @Test("Hostile input does not crash")
    func hostile() {
        let inputs = [
            "v=spf1 " + String(repeating: "%", count: 1000), "v=spf1 ip6:" + String(repeating: ":", count: 500),
            "v=spf1 a:" + String(repeating: "/", count: 300), "v=spf1 exists:%{", "v=spf1 exists:%{i999999999999}.a.b",
            "v=spf1 a//", "v=spf1 ip4:/", "v=spf1 \u{0}\u{1}", "v=spf1 include:é.example.com",
        ]
        for input in inputs {
            let (record, findings) = SPFRecord.parse(input)
            #expect(record != nil)
            #expect(findings.hasErrors, "\(input.prefix(30)) passed")
        }
    }
}
