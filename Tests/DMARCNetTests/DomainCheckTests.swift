import DMARCCore
import Foundation
import TestServers
import Testing

@testable import DMARCNet

/// Zones for good and broken set-ups, served by dnsmasq on loopback. DKIM keys were made once with
/// `openssl genrsa 512|2048 | openssl rsa -pubout -outform DER | base64 -w0`.
enum CheckZone {
    static let key512 =
        "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAL/oB1nwzRvoTm9pDQ4p900vVpdtkic+ivcPUnYVz2rQJUlmPUAgUQ9jmJpmnbVVQJopVRWoL3vKQjhE/HJscccCAwEAAQ=="
    static let key2048a =
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqgnBjsawk1gSL3+PKhcVHLRYNonqdrfuC4dhACcSDsdhxKNdFv5+zAJvWwkr8eCe8WHwb+MOCwt3Ef8oe53FTLMu3PQ1COYsT6jtTI8vFoQh5S9Imp+FJlS0Wy6kAeUH+f8b1ITrYisaWSaCqfatlRd/YPTs"
    static let key2048b =
        "YipXj/oMa7SXuIFEh+b8AE90JKjJxxuZGFQ0npUSyezouQDPircN2w8qW11y7z84yMmoFYUQDdCe/9lAJa8HxuQy+FDnrN+3Ts8Aa0iSlobd0IV/OgNLy31irZq1a7rdT8kVvACjApFbBAse5UiyeA4WSyNEg0PlN4Spzsi2BSs6Xg8gCb4auCXbYwIDAQAB"

    static let lines: [String] = [
        // good.test: everything right; the DMARC and DKIM TXT records come in several strings.
        #"txt-record=_dmarc.good.test,"v=DMARC1; p=reject; ","rua=mailto:dmarc@good.test""#,
        #"txt-record=good.test,"v=spf1 ip4:192.0.2.0/24 include:_spf.good.test -all""#,
        #"txt-record=_spf.good.test,"v=spf1 ip6:2001:db8::/32 -all""#,
        "cname=selector1._domainkey.good.test,selector1._domainkey.esp.test",
        "cname=selector1._domainkey.esp.test,key1.esp2.test",
        "txt-record=key1.esp2.test,\"v=DKIM1; k=rsa; p=\(key2048a)\",\"\(key2048b)\"",
        "mx-host=good.test,mx.good.test,10",
        "host-record=mx.good.test,192.0.2.25",
        "host-record=sub.good.test,192.0.2.26",
        #"txt-record=_mta-sts.good.test,"v=STSv1; id=20260101T000000""#,
        #"txt-record=_smtp._tls.good.test,"v=TLSRPTv1; rua=mailto:tls@good.test""#,
        // Lookup counting: a, mx, ptr, exists, include = 5 (ip4 and all are free).
        #"txt-record=counting.test,"v=spf1 a mx ptr exists:%{i}.x.counting.test include:_inc.counting.test ip4:192.0.2.1 -all""#,
        #"txt-record=_inc.counting.test,"v=spf1 ip4:198.51.100.1 ~all""#,
        "host-record=counting.test,192.0.2.30",
        "mx-host=counting.test,mx.counting.test,10",
        #"txt-record=_dmarc.counting.test,"v=DMARC1; p=none""#,
        // Eleven lookups through nested includes.
        #"txt-record=many.test,"v=spf1 include:l1.many.test include:l2.many.test -all""#,
        #"txt-record=l1.many.test,"v=spf1 include:l3.many.test include:l4.many.test include:l5.many.test include:l6.many.test ~all""#,
        #"txt-record=l2.many.test,"v=spf1 include:l7.many.test include:l8.many.test include:l9.many.test ~all""#,
        #"txt-record=l3.many.test,"v=spf1 ip4:192.0.2.3 ~all""#,
        #"txt-record=l4.many.test,"v=spf1 ip4:192.0.2.4 ~all""#,
        #"txt-record=l5.many.test,"v=spf1 ip4:192.0.2.5 ~all""#,
        #"txt-record=l6.many.test,"v=spf1 ip4:192.0.2.6 ~all""#,
        #"txt-record=l7.many.test,"v=spf1 ip4:192.0.2.7 ~all""#,
        #"txt-record=l8.many.test,"v=spf1 ip4:192.0.2.8 ~all""#,
        #"txt-record=l9.many.test,"v=spf1 a:a.many.test mx:m.many.test ~all""#,
        // Void lookups: three includes of names that do not exist.
        #"txt-record=void.test,"v=spf1 include:v1.void.test include:v2.void.test include:v3.void.test -all""#,
        // An include loop.
        #"txt-record=loop.test,"v=spf1 include:loop2.test -all""#,
        #"txt-record=loop2.test,"v=spf1 include:loop.test -all""#,
        // Two DMARC records; unknown and invalid tags.
        #"txt-record=_dmarc.two.test,"v=DMARC1; p=none""#,
        #"txt-record=_dmarc.two.test,"v=DMARC1; p=reject""#,
        #"txt-record=_dmarc.badtags.test,"v=DMARC1; p=bogus; foo=bar; rua=mailto:d@badtags.test""#,
        // External rua: unauthorised, and authorised by the report domain.
        #"txt-record=_dmarc.extrua.test,"v=DMARC1; p=none; rua=mailto:d@reports.other.test""#,
        #"txt-record=_dmarc.authorized.test,"v=DMARC1; p=none; rua=mailto:d@reports.other.test""#,
        #"txt-record=authorized.test._report._dmarc.reports.other.test,"v=DMARC1""#,
        // A 512-bit DKIM key.
        "txt-record=s512._domainkey.weak.test,\"v=DKIM1; k=rsa; p=\(key512)\"",
        #"txt-record=_dmarc.weak.test,"v=DMARC1; p=quarantine""#,
    ]
}

@Suite("dmarcwatch check against dnsmasq zones", .serialized)
struct DomainCheckTests {
    let server: DNSTestServer
    let checker: DomainChecker

    init() throws {
        server = try DNSTestServer(zone: CheckZone.lines)
        checker = DomainChecker(resolver: DNSResolver(try DNSConfiguration(nameserver: server.nameserver, timeout: 2)))
    }

    func codes(_ r: DomainCheck, _ severity: FindingSeverity? = nil) -> [String] {
        r.findings.filter { severity == nil || $0.severity == severity }.map(\.code)
    }

    @Test("A good set-up has no errors; multi-string TXT and CNAME chains are read")
    func good() {
        let r = checker.check(domain: "good.test", selectors: ["selector1"])
        #expect(!r.hasErrors, "\(r.findings)")
        #expect(r.dmarc.record == "v=DMARC1; p=reject; rua=mailto:dmarc@good.test")
        #expect(r.dmarc.policy == "reject")
        #expect(r.spf.dnsLookups == 1)
        #expect(r.spf.voidLookups == 0)
        let key = r.dkim.first { $0.selector == "selector1" }
        #expect(key?.keyBits == 2048)
        #expect(key?.cnameChain == ["selector1._domainkey.esp.test", "key1.esp2.test"])
        #expect(r.mx == ["mx.good.test"])
        #expect(r.mtaSTS.record != nil)
        #expect(r.tlsRPT.record != nil)
    }

    @Test("A subdomain without a record inherits its policy through the tree walk")
    func inherited() {
        let r = checker.check(domain: "sub.good.test")
        #expect(r.dmarc.inherited)
        #expect(r.dmarc.foundAt == "_dmarc.good.test")
        #expect(r.dmarc.policy == "reject")
        // The walk goes on to the TLD: records above can still decide the organisational domain.
        #expect(r.dmarc.treeWalkQueries == ["_dmarc.sub.good.test", "_dmarc.good.test", "_dmarc.test"])
        #expect(r.dmarc.organizationalDomainTreeWalk == "good.test")
        #expect(codes(r).contains("dmarc-inherited"))
    }

    @Test("SPF lookups are counted as RFC 7208 §4.6.4 says: a, mx, ptr, exists, include, redirect")
    func counting() {
        let r = checker.check(domain: "counting.test")
        #expect(r.spf.dnsLookups == 5, "\(r.spf.tree)")
        #expect(!codes(r).contains("spf-too-many-lookups"))
    }

    /// Lookup counts worked out by hand from the zone with RFC 7208 §4.6.4: include, a, mx, ptr,
    /// exists and redirect count, across includes; ip4, ip6 and all do not; a loop stops counting.
    @Test(
        "Every SPF fixture's lookup count is the RFC's",
        arguments: [
            ("good.test", 1), ("counting.test", 5), ("many.test", 11), ("void.test", 3), ("loop.test", 2),
            ("weak.test", 0),
        ])
    func lookupCounts(_ domain: String, _ expected: Int) {
        #expect(checker.check(domain: domain).spf.dnsLookups == expected)
    }

    @Test("More than ten lookups is an error")
    func tooMany() {
        let r = checker.check(domain: "many.test")
        #expect(r.spf.dnsLookups == 11, "\(r.spf.tree)")
        #expect(codes(r, .error).contains("spf-too-many-lookups"))
    }

    @Test("More than two void lookups is an error")
    func voidLookups() {
        let r = checker.check(domain: "void.test")
        #expect(r.spf.voidLookups == 3)
        #expect(r.hasErrors)
        #expect(codes(r, .error).contains { $0.contains("void") }, "\(codes(r))")
    }

    @Test("An include loop is found")
    func loop() {
        let r = checker.check(domain: "loop.test")
        #expect(codes(r, .error).contains("spf-include-loop"), "\(codes(r))")
    }

    @Test("Two DMARC records: an error, and no policy")
    func twoRecords() {
        let r = checker.check(domain: "two.test")
        #expect(codes(r, .error).contains("dmarc-multiple-records"))
        #expect(r.dmarc.record == nil)
    }

    @Test("Invalid and unknown tags are reported")
    func badTags() {
        let r = checker.check(domain: "badtags.test")
        #expect(r.hasErrors)
        #expect(r.findings.contains { $0.message.contains("bogus") }, "\(r.findings)")
        #expect(r.findings.contains { $0.message.contains("foo") }, "\(r.findings)")
    }

    @Test("An external rua needs the report domain's authorisation")
    func externalRUA() {
        let bad = checker.check(domain: "extrua.test")
        #expect(codes(bad).contains("dmarc-external-destination-unauthorized"))
        #expect(bad.dmarc.externalDestinations.first?.name == "extrua.test._report._dmarc.reports.other.test")
        let good = checker.check(domain: "authorized.test")
        #expect(!codes(good).contains("dmarc-external-destination-unauthorized"))
        #expect(good.dmarc.externalDestinations.first?.authorized == true)
    }

    @Test("A 512-bit DKIM key is an error; missing records are reported")
    func weakKeyAndMissing() {
        let r = checker.check(domain: "weak.test", selectors: ["s512", "nosuch"])
        #expect(r.dkim.first { $0.selector == "s512" }?.keyBits == 512)
        #expect(codes(r, .error).contains("dkim-key-too-small"), "\(codes(r))")
        #expect(codes(r, .error).contains("dkim-selector-missing"))
        #expect(r.spf.record == nil)
        #expect(codes(r).contains("spf-missing"))
    }

    @Test("A domain with nothing published: DMARC missing is an error")
    func nothing() {
        let r = checker.check(domain: "nothing.test")
        #expect(codes(r, .error).contains("dmarc-missing"))
    }

    @Test("A silent nameserver gives clear findings, never a hang")
    func silentNameserver() {
        let silent = SilentDNSServer()
        let slow = DomainChecker(
            resolver: DNSResolver(DNSConfiguration(server: "127.0.0.1", port: silent.port, timeout: 1, tries: 1)))
        let start = Date()
        let r = slow.check(domain: "good.test")
        #expect(Date().timeIntervalSince(start) < 60)
        #expect(r.hasErrors)
        #expect(r.findings.contains { $0.code == "dns-error" && $0.message.contains("timeout") })
        #expect(!codes(r).contains("dmarc-missing"))
    }
}
