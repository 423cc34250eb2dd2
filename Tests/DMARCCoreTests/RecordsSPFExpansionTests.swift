import Testing

@testable import DMARCCore

@Suite("SPF include/redirect expansion and lookup counting (RFC 7208 §4.6.4)")
struct RecordsSPFExpansionTests {
    /// Expands `domain` over a hand-made map; a missing key is "no SPF record".
    func expand(_ domain: String, _ map: [String: SPFLookupAnswer]) -> SPFExpansionResult {
        SPFExpansion.expand(domain: domain) { map[$0] ?? .none }
    }

    func records(_ map: [String: String]) -> [String: SPFLookupAnswer] {
        map.mapValues { .record($0) }
    }

    @Test("ip4, ip6, all and exp cost no lookups")
    func uncounted() {
        let result = expand(
            "example.com", records(["example.com": "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 exp=x.example.com -all"]))
        #expect(result.dnsLookups == 0)
        #expect(result.voidLookups == 0)
        #expect(result.findings.isEmpty)
        #expect(result.root.status == .expanded)
        #expect(result.root.children.isEmpty)
    }

    @Test("Exactly 10 lookups is allowed")
    func exactlyTen() {
        var map = ["example.com": "v=spf1 a mx include:one.test include:two.test -all"]
        map["one.test"] = "v=spf1 a mx ptr:x.test exists:y.test -all"  // 4
        map["two.test"] = "v=spf1 include:three.test -all"  // 1
        map["three.test"] = "v=spf1 a -all"  // 1
        let result = expand("example.com", records(map))
        #expect(result.dnsLookups == 10)
        #expect(!result.findings.codes.contains("spf-too-many-lookups"))
        #expect(result.root.totalLookups == 10)
        #expect(result.root.lookups == 4)
        #expect(result.root.children.map(\.domain) == ["one.test", "two.test"])
        #expect(result.root.children.map(\.totalLookups) == [4, 2])
    }

    @Test("11 lookups through nested includes is an error that gives the count")
    func eleven() throws {
        var map = ["example.com": "v=spf1 a mx include:one.test include:two.test -all"]
        map["one.test"] = "v=spf1 a mx ptr:x.test exists:y.test -all"
        map["two.test"] = "v=spf1 include:three.test -all"
        map["three.test"] = "v=spf1 a mx -all"
        let result = expand("example.com", records(map))
        #expect(result.dnsLookups == 11)
        let finding = try #require(result.findings.first { $0.code == "spf-too-many-lookups" })
        #expect(finding.severity == .error)
        #expect(finding.message.contains("11"))
    }

    @Test("An include loop a → b → a is found and not followed")
    func loop() throws {
        let result = expand(
            "a.test", records(["a.test": "v=spf1 include:b.test -all", "b.test": "v=spf1 include:A.test. -all"]))
        let finding = try #require(result.findings.first { $0.code == "spf-include-loop" })
        #expect(finding.severity == .error)
        #expect(finding.message.contains("a.test → b.test → a.test"))
        let b = try #require(result.root.children.first)
        #expect(b.domain == "b.test")
        #expect(b.children.first?.status == .loop)
        #expect(result.dnsLookups == 2)
    }

    @Test("Three includes without SPF are three void lookups: an error each, and over the limit")
    func threeVoid() {
        let result = expand(
            "example.com", records(["example.com": "v=spf1 include:n1.test include:n2.test include:n3.test -all"]))
        #expect(result.voidLookups == 3)
        #expect(result.findings.codes.filter { $0 == "spf-include-no-record" }.count == 3)
        #expect(result.findings.codes.contains("spf-too-many-void-lookups"))
        #expect(result.root.children.allSatisfy { $0.status == .noRecord })
    }

    @Test("Two void lookups are within the limit")
    func twoVoid() {
        let result = expand("example.com", records(["example.com": "v=spf1 include:n1.test include:n2.test -all"]))
        #expect(result.voidLookups == 2)
        #expect(!result.findings.codes.contains("spf-too-many-void-lookups"))
        #expect(result.findings.codes == ["spf-include-no-record", "spf-include-no-record"])
    }

    @Test("A redirect to a domain without SPF is an error")
    func redirectWithoutRecord() throws {
        let result = expand("example.com", records(["example.com": "v=spf1 redirect=_spf.example.net"]))
        let finding = try #require(result.findings.first)
        #expect(finding.code == "spf-redirect-no-record")
        #expect(finding.severity == .error)
        #expect(result.dnsLookups == 1)
        #expect(result.voidLookups == 1)
        #expect(result.root.children.first?.edge == .redirect)
    }

    @Test("A redirect is followed and its record counted")
    func redirectFollowed() {
        let result = expand(
            "example.com",
            records(["example.com": "v=spf1 redirect=_spf.example.net", "_spf.example.net": "v=spf1 mx a -all"]))
        #expect(result.findings.isEmpty)
        #expect(result.dnsLookups == 3)
        #expect(result.root.children.first?.record == "v=spf1 mx a -all")
    }

    @Test("A redirect ignored because of all is not followed")
    func redirectIgnored() {
        let result = expand(
            "example.com", records(["example.com": "v=spf1 -all redirect=missing.example.net"]))
        #expect(result.dnsLookups == 0)
        #expect(result.root.children.isEmpty)
        #expect(result.root.findings.codes == ["spf-redirect-ignored"])
    }

    @Test("Several records at an included domain, and DNS failures, are reported")
    func multipleAndErrors() {
        let map: [String: SPFLookupAnswer] = [
            "example.com": .record("v=spf1 include:multi.test include:broken.test -all"),
            "multi.test": .multiple(["v=spf1 -all", "v=spf1 mx -all"]),
            "broken.test": .error("SERVFAIL"),
        ]
        let result = expand("example.com", map)
        #expect(result.findings.codes == ["spf-multiple-records", "spf-lookup-failed"])
        #expect(result.root.children.map(\.status) == [.multipleRecords, .lookupFailed("SERVFAIL")])
        #expect(result.voidLookups == 0)
    }

    @Test("The checked domain without SPF, or with several records")
    func root() {
        #expect(expand("example.com", [:]).findings.codes == ["spf-missing"])
        #expect(expand("example.com", [:]).voidLookups == 0)
        let multi = expand("example.com", ["example.com": .multiple(["v=spf1 -all", "v=spf1 mx -all"])])
        #expect(multi.findings.codes == ["spf-multiple-records"])
        #expect(multi.findings.first?.severity == .error)
        // A TXT that is not SPF counts as no record.
        #expect(
            expand("example.com", ["example.com": .record("google-site-verification=x")]).findings.codes == [
                "spf-missing"
            ])
    }

    @Test("A macro include is counted but not followed")
    func macro() {
        let result = expand("example.com", records(["example.com": "v=spf1 include:%{ir}.spf.example.net -all"]))
        #expect(result.dnsLookups == 1)
        #expect(result.findings.codes == ["spf-macro-not-expanded"])
        #expect(result.root.children.first?.status == .macroNotExpanded)
    }

    @Test("An included record with syntax errors is a permanent error")
    func invalidInclude() {
        let result = expand(
            "example.com",
            records(["example.com": "v=spf1 include:bad.test -all", "bad.test": "v=spf1 ip4:300.1.1.1 -all"]))
        #expect(result.findings.codes == ["spf-included-record-invalid"])
        #expect(result.root.children.first?.findings.codes == ["spf-invalid-ip"])
    }

    @Test("A chain deeper than 20 levels stops")
    func tooDeep() {
        var map: [String: String] = [:]
        for i in 0..<30 { map["d\(i).test"] = "v=spf1 include:d\(i + 1).test -all" }
        let result = expand("d0.test", records(map))
        #expect(result.findings.codes.contains("spf-too-deep"))
        #expect(result.findings.codes.contains("spf-too-many-lookups"))
        #expect(result.dnsLookups == SPFExpansion.maximumDepth)
    }

    @Test("Lookups pass lower-cased names without a trailing dot")
    func normalisedNames() {
        var asked: [String] = []
        _ = SPFExpansion.expand(domain: "Example.COM.") { name in
            asked.append(name)
            return name == "example.com" ? .record("v=spf1 include:_SPF.Example.NET. -all") : .none
        }
        #expect(asked == ["example.com", "_spf.example.net"])
    }
}
