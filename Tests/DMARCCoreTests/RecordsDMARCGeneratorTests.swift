import Testing

@testable import DMARCCore

@Suite("DMARC record generator")
struct RecordsDMARCGeneratorTests {
    @Test("A simple request gives the name, the value and one explanation per choice")
    func simple() throws {
        let generated = try DMARCRecordGenerator.generate(
            DMARCRecordRequest(domain: "Example.COM.", policy: "quarantine", rua: ["dmarc@example.com"]))
        #expect(generated.name == "_dmarc.example.com")
        #expect(generated.value == "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com")
        #expect(generated.explanations.contains("p=quarantine: receivers put failing mail in spam"))
        #expect(generated.explanations.contains { $0.hasPrefix("rua=mailto:dmarc@example.com") })
        #expect(generated.authorizationRecords.isEmpty)
        #expect(generated.record == TXTRecord(name: "_dmarc.example.com", value: generated.value))
    }

    @Test("Every option lands in the canonical order")
    func allOptions() throws {
        let generated = try DMARCRecordGenerator.generate(
            DMARCRecordRequest(
                domain: "example.com", policy: "Reject", subdomainPolicy: "quarantine", nonexistentPolicy: "reject",
                adkim: "strict", aspf: "s", rua: ["mailto:a@example.com", "https://dmarc.example.com/in"],
                ruf: ["f@example.com"], failureOptions: "1:d", testing: true, legacyPct: 50))
        #expect(
            generated.value
                == "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=s; t=y; "
                + "rua=mailto:a@example.com,https://dmarc.example.com/in; ruf=mailto:f@example.com; fo=1:d; pct=50")
        #expect(generated.explanations.count == 10)
        #expect(generated.explanations.contains { $0.hasPrefix("t=y:") })
        #expect(generated.explanations.contains { $0.hasPrefix("pct=50:") && $0.contains("t=y") })
    }

    @Test("Destinations outside the organisation need a _report._dmarc record, once per host")
    func authorizations() throws {
        let generated = try DMARCRecordGenerator.generate(
            DMARCRecordRequest(
                domain: "example.com", policy: "none",
                rua: ["mailto:reports@dmarcwatch.net", "dmarc@mail.example.com", "other@dmarcwatch.net"],
                ruf: ["mailto:f@Forensics.Example.ORG", "f@example.com"]))
        #expect(
            generated.authorizationRecords == [
                TXTRecord(name: "example.com._report._dmarc.dmarcwatch.net", value: "v=DMARC1;"),
                TXTRecord(name: "example.com._report._dmarc.forensics.example.org", value: "v=DMARC1;"),
            ])
        #expect(generated.explanations.contains { $0.contains("example.com._report._dmarc.dmarcwatch.net") })
        for auth in generated.authorizationRecords {
            let parsed = DMARCRecord.parse(auth.value, purpose: .reportAuthorization)
            #expect(parsed.record != nil && parsed.findings.isEmpty)
        }
    }

    static let organisations: [(String, String, Bool)] = [
        ("example.com", "example.com", true),
        ("example.com", "reports.example.com", true),
        ("mail.example.com", "dmarc.example.com", true),
        ("example.com", "example.net", false),
        ("example.com", "notexample.com", false),
        ("example.co.uk", "reports.example.co.uk", true),
        // The documented simplification: without a suffix list these look alike.
        ("a.co.uk", "b.co.uk", true),
    ]

    @Test("The simple same-organisation rule", arguments: organisations)
    func sameOrganisation(_ c: (String, String, Bool)) {
        #expect(DomainName.roughlySameOrganization(c.0, c.1) == c.2)
        #expect(DomainName.roughlySameOrganization(c.1, c.0) == c.2)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var request: DMARCRecordRequest
        var error: DMARCRecordGeneratorError
        var testDescription: String { error.description }
    }

    static let bad: [Bad] = [
        Bad(request: .init(domain: "exa mple.com", policy: "none"), error: .invalidDomain("exa mple.com")),
        Bad(request: .init(domain: "com", policy: "none"), error: .invalidDomain("com")),
        Bad(request: .init(domain: "-bad.example", policy: "none"), error: .invalidDomain("-bad.example")),
        Bad(request: .init(domain: "_dmarc.example.com", policy: "none"), error: .invalidDomain("_dmarc.example.com")),
        Bad(request: .init(domain: "bücher.example", policy: "none"), error: .invalidDomain("bücher.example")),
        Bad(request: .init(domain: "192.0.2.1", policy: "none"), error: .invalidDomain("192.0.2.1")),
        Bad(request: .init(domain: "example.com", policy: "block"), error: .unknownPolicy(tag: "p", value: "block")),
        Bad(
            request: .init(domain: "example.com", policy: "none", subdomainPolicy: "x"),
            error: .unknownPolicy(tag: "sp", value: "x")),
        Bad(
            request: .init(domain: "example.com", policy: "none", nonexistentPolicy: ""),
            error: .unknownPolicy(tag: "np", value: "")),
        Bad(
            request: .init(domain: "example.com", policy: "none", adkim: "loose"),
            error: .invalidAlignment(tag: "adkim", value: "loose")),
        Bad(
            request: .init(domain: "example.com", policy: "none", aspf: "x"),
            error: .invalidAlignment(tag: "aspf", value: "x")),
        Bad(
            request: .init(domain: "example.com", policy: "none", rua: ["ftp://example.com/x"]),
            error: .invalidReportDestination(
                tag: "rua", value: "ftp://example.com/x", reason: "only mailto: and https: are accepted")),
        Bad(
            request: .init(domain: "example.com", policy: "none", rua: ["not an address"]),
            error: .invalidReportDestination(
                tag: "rua", value: "not an address", reason: ReportURI.Problem.invalidCharacter(" ").description)),
        Bad(
            request: .init(domain: "example.com", policy: "none", rua: ["mailto:nobody"]),
            error: .invalidReportDestination(
                tag: "rua", value: "mailto:nobody", reason: ReportURI.Problem.invalidAddress.description)),
        Bad(
            request: .init(domain: "example.com", policy: "none", ruf: ["dmarc@example.com!10m"]),
            error: .invalidReportDestination(
                tag: "ruf", value: "dmarc@example.com!10m",
                reason: ReportURI.Problem.sizeLimitNotAllowed.description)),
        Bad(request: .init(domain: "example.com", policy: "none", legacyPct: 101), error: .invalidPercent(101)),
        Bad(request: .init(domain: "example.com", policy: "none", legacyPct: -1), error: .invalidPercent(-1)),
        Bad(
            request: .init(domain: "example.com", policy: "none", failureOptions: "0:1"),
            error: .invalidFailureOptions(value: "0:1", reason: "0 and 1 cannot be used together")),
        Bad(
            request: .init(domain: "example.com", policy: "none", failureOptions: "x"),
            error: .invalidFailureOptions(value: "x", reason: "\"x\" is not one of 0, 1, d, s")),
        Bad(
            request: .init(domain: "example.com", policy: "none", failureOptions: "d:d"),
            error: .invalidFailureOptions(value: "d:d", reason: "\"d\" appears twice")),
    ]

    @Test("Invalid input is refused with a description of what is wrong", arguments: bad)
    func refused(_ c: Bad) {
        #expect(throws: c.error) { try DMARCRecordGenerator.generate(c.request) }
        #expect(!c.error.description.isEmpty)
    }

    static let good: [DMARCRecordRequest] = [
        .init(domain: "example.com", policy: "none"),
        .init(domain: "example.com", policy: "reject", rua: ["a@example.com"], ruf: ["b@example.org"]),
        .init(domain: "sub.example.com", policy: "quarantine", subdomainPolicy: "reject", testing: true),
        .init(domain: "example.com", policy: "none", failureOptions: "s", legacyPct: 0),
        .init(domain: "xn--bcher-kva.example", policy: "reject", nonexistentPolicy: "reject", adkim: "r", aspf: "r"),
    ]

    @Test("Generated records always parse back without errors and to the same tags", arguments: good)
    func parsesBack(_ request: DMARCRecordRequest) throws {
        let generated = try DMARCRecordGenerator.generate(request)
        let (record, findings) = DMARCRecord.parse(generated.value)
        let parsed = try #require(record)
        #expect(!findings.hasErrors)
        #expect(parsed.render() == generated.value)
        #expect(parsed.p == DMARCPolicy(value: request.policy))
        #expect(parsed.t == (request.testing ? true : nil))
        #expect(parsed.pct == request.legacyPct)
    }
}
