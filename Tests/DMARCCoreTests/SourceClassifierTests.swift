import Testing

@testable import DMARCCore

// The classification table itself (real libpsl organisational domains, the real catalogue) is in
// DMARCNetTests/SourceClassificationTests.swift. Here: readiness, the ladder and the records it
// suggests, from classified sources built by hand, so each expectation follows from the rules of
// `Readiness` alone.

/// Classified sources as the classifier would give them, built by hand.
enum Built {
    static let domain = "example.co.jp"

    static func cause(_ code: FailureCause.Code, _ text: String) -> FailureCause {
        FailureCause(
            code: code, message: Explanation("cause.\(code.rawValue)", [], text),
            fix: Explanation("fix.\(code.rawValue)", [], "Fix it."), serviceAdvice: nil)
    }

    static func source(
        _ ip: String, _ cls: SourceClass, messages: Int64, pass: Int64, causes: [FailureCause] = [],
        service: String? = nil
    ) -> ClassifiedSource {
        var p = SourceProfile(ip: ip, domain: domain)
        p.messages = messages
        p.dmarcPass = pass
        p.service = service.map {
            ServiceIdentity(id: $0.lowercased(), name: $0, kind: .esp, alignDKIM: "", alignSPF: "")
        }
        return ClassifiedSource(profile: p, sourceClass: cls, decided: false, evidence: [], causes: causes)
    }

    /// The live record the ladder tests start from: every tag a plan must keep.
    static func live(_ policy: String) -> PolicyInForce {
        PolicyInForce(
            dns:
                "v=DMARC1; \(policy); sp=quarantine; np=reject; adkim=s; rua=mailto:dmarc@example.co.jp; ruf=mailto:forensic@example.co.jp; fo=1"
        )!
    }

    /// What every suggested record keeps of `live`, in the canonical order.
    static let kept = (
        tags: "sp=quarantine; np=reject; adkim=s",
        reporting: "rua=mailto:dmarc@example.co.jp; ruf=mailto:forensic@example.co.jp; fo=1"
    )
}

@Suite("Readiness: verdicts and simulation (hand-worked)")
struct ReadinessTests {
    let own = Built.source("192.0.2.10", .compliant, messages: 1000, pass: 1000)
    let esp = Built.source(
        "167.89.1.2", .yoursFailing, messages: 400, pass: 0,
        causes: [
            Built.cause(.dkimThirdParty, "DKIM is signed by sendgrid.info."), Built.cause(.spfNotAligned, "SPF."),
        ],
        service: "SendGrid")
    let spoof = Built.source("203.0.113.9", .suspicious, messages: 50, pass: 0)

    @Test("an ESP failing 400 of 1,400 messages blocks quarantine; the simulation lists it")
    func espBlocks() {
        // 400 failing of 1,400 legitimate messages over 20 days: 20.0 a day, 28.6% (400/1400).
        let r = Readiness.assess(
            domain: Built.domain, days: 20, policy: Built.live("p=none"), sources: [own, esp, spoof])
        #expect(r.totals[.compliant] == 1000)
        #expect(r.totals[.yoursFailing] == 400)
        #expect(r.totals[.suspicious] == 50)
        #expect(!r.quarantine.ready)
        #expect(
            r.quarantine.reasons.map(\.description) == [
                "One of your sources fails DMARC: 20.0 messages a day (28.6% of your mail) would be affected."
            ])
        #expect(!r.reject.ready)
        let q = r.simulations[0]
        #expect(q.policy == "quarantine")
        #expect(q.messages == 400)
        #expect(q.perDay == 20)
        #expect(q.lines.map(\.name) == ["SendGrid"])
        #expect(q.blockedSpoofing == 50)
        // The plan fixes SendGrid (two causes), then walks the six rungs from p=none.
        #expect(r.plan.map(\.explanation.code) == ["plan.fix", "plan.fix"] + LadderTests.rungs)
        #expect(r.plan[0].source == "SendGrid" && r.plan[0].cause?.code == .dkimThirdParty)

        // Without the ESP, quarantine is ready; reject waits for quarantine on all mail.
        let clean = Readiness.assess(
            domain: Built.domain, days: 20, policy: Built.live("p=none"), sources: [own, spoof])
        #expect(clean.quarantine.ready)
        #expect(clean.quarantine.reasons.map(\.code) == ["ready.all-pass"])
        #expect(!clean.reject.ready)
        #expect(clean.reject.reasons.map(\.code) == ["ready.quarantine-first"])
        #expect(clean.reject.reasons[0].arguments == ["p=none"])
        // Too few days is a reason on both verdicts.
        let young = Readiness.assess(
            domain: Built.domain, days: 5, policy: Built.live("p=quarantine"), sources: [own])
        #expect(!young.quarantine.ready && !young.reject.ready)
        #expect(young.quarantine.reasons.map(\.code) == ["ready.too-few-days"])
    }

    @Test("suspicious mail through a sending service is a caution on both verdicts, not a block")
    func checkServices() {
        // 600 messages over 20 days through SendGrid with nothing tying them to the domain: if
        // it is an account of yours without the include, enforcing blocks 30.0 a day of it.
        let unvouched = Built.source("167.89.1.3", .suspicious, messages: 600, pass: 0, service: "SendGrid")
        let r = Readiness.assess(
            domain: Built.domain, days: 20, policy: Built.live("p=quarantine"), sources: [own, unvouched])
        #expect(r.quarantine.ready && r.reject.ready)
        #expect(r.quarantine.reasons.map(\.code) == ["ready.all-pass", "ready.check-services"])
        #expect(r.reject.reasons.last?.arguments == ["SendGrid", "30.0"])
        // Once decided ("not mine"), nothing to check.
        var decided = unvouched
        decided.decided = true
        let after = Readiness.assess(
            domain: Built.domain, days: 20, policy: Built.live("p=quarantine"), sources: [own, decided])
        #expect(after.quarantine.reasons.map(\.code) == ["ready.all-pass"])
        // A spoofer on no known service gives no caution.
        #expect(
            Readiness.assess(domain: Built.domain, days: 20, policy: Built.live("p=none"), sources: [own, spoof])
                .quarantine.reasons.map(\.code) == ["ready.all-pass"])
    }

    @Test("thresholds compare exactly: 1.099% is over 1%, 1.000% is not; 0.101% is over 0.1%")
    func exactThresholds() {
        func verdicts(failing: Int64) -> (Bool, Bool) {
            // One source of 100,000 messages; reject needs quarantine on all mail, so p=quarantine.
            let s = Built.source(
                "192.0.2.1", .yoursFailing, messages: 100_000, pass: 100_000 - failing,
                causes: [Built.cause(.noDKIM, "No DKIM.")])
            let r = Readiness.assess(domain: Built.domain, days: 30, policy: Built.live("p=quarantine"), sources: [s])
            return (r.quarantine.ready, r.reject.ready)
        }
        #expect(verdicts(failing: 1_099) == (false, false))  // 1.099% > 1% (truncation said 10‰)
        #expect(verdicts(failing: 1_001) == (false, false))
        #expect(verdicts(failing: 1_000) == (true, false))  // exactly 1%: not over it
        #expect(verdicts(failing: 101) == (true, false))  // 0.101% > 0.1%
        #expect(verdicts(failing: 100) == (true, true))  // exactly 0.1%
    }

    @Test("compliant sources with a few failures count in the verdicts but take no fix steps")
    func compliantDoNotCrowd() {
        // Twelve big compliant sources failing 1% each (no causes), then one small real failure.
        var sources = (1...12).map {
            Built.source("192.0.2.\($0)", .compliant, messages: 1_000_000, pass: 990_000)
        }
        sources.append(
            Built.source(
                "198.51.100.7", .yoursFailing, messages: 100, pass: 0,
                causes: [Built.cause(.noDKIM, "No DKIM.")], service: "Zendesk"))
        let r = Readiness.assess(domain: Built.domain, days: 30, policy: Built.live("p=none"), sources: sources)
        let fixes = r.plan.filter { $0.explanation.code == "plan.fix" }
        #expect(fixes.map(\.source) == ["Zendesk"])
        // The compliant failures still count: 13 sources fail, 120,100 messages of 12,000,100.
        #expect(r.quarantine.reasons.first?.code == "ready.own-failing")
        #expect(r.quarantine.reasons.first?.arguments.first == "13")
        #expect(r.simulations[0].lines.count == 13)
    }

    @Test("the plan's fix steps go to the sources failing most, at most ten")
    func fixOrder() {
        let sources = (1...12).map {
            Built.source(
                "198.51.100.\($0)", .yoursFailing, messages: 1000, pass: 1000 - Int64($0),
                causes: [Built.cause(.noDKIM, "No DKIM.")], service: "S\($0)")
        }
        let r = Readiness.assess(domain: Built.domain, days: 30, policy: Built.live("p=none"), sources: sources)
        let fixes = r.plan.filter { $0.explanation.code == "plan.fix" }.compactMap(\.source)
        #expect(fixes == (3...12).reversed().map { "S\($0)" })
    }

    @Test("huge counts in every class saturate instead of trapping")
    func hugeCounts() {
        let big = Int64.max / 2 + 1
        let sources = [
            Built.source("192.0.2.1", .yoursFailing, messages: big, pass: 0, causes: [Built.cause(.noDKIM, "x")]),
            Built.source("192.0.2.2", .yoursFailing, messages: big, pass: 0, causes: [Built.cause(.noDKIM, "x")]),
            Built.source("198.51.100.1", .forwarded, messages: big, pass: 0),
            Built.source("198.51.100.2", .forwarded, messages: big, pass: 0),
            Built.source("203.0.113.1", .suspicious, messages: big, pass: 0),
            Built.source("203.0.113.2", .suspicious, messages: big, pass: 0),
        ]
        let r = Readiness.assess(domain: Built.domain, days: 30, policy: Built.live("p=none"), sources: sources)
        #expect(r.totals[.yoursFailing] == Int64.max)
        #expect(r.totals[.forwarded] == Int64.max)
        #expect(r.simulations[0].forwardedMessages == Int64.max)
        #expect(r.simulations[0].blockedSpoofing == Int64.max)
        #expect(r.simulations[0].messages == Int64.max)
        #expect(!r.quarantine.ready)
        #expect(Readiness.format(.infinity) == "–")
        #expect(Readiness.format(1e30) == "1000000000000000.0")
    }
}

@Suite("Readiness: the ladder, placed from the live record or a report, and the records it suggests")
struct LadderTests {
    static let rungs = [
        "plan.quarantine-test", "plan.quarantine", "plan.quarantine-half", "plan.quarantine-full", "plan.reject-test",
        "plan.reject",
    ]

    /// Every record the ladder can suggest from the live record, worked out by hand: the policy
    /// part changes, every other tag stays, in the canonical order (v p sp np adkim aspf t psd
    /// rua ruf fo pct).
    static let records = [
        "v=DMARC1; p=quarantine; \(Built.kept.tags); t=y; \(Built.kept.reporting); pct=0",
        "v=DMARC1; p=quarantine; \(Built.kept.tags); \(Built.kept.reporting); pct=25",
        "v=DMARC1; p=quarantine; \(Built.kept.tags); \(Built.kept.reporting); pct=50",
        "v=DMARC1; p=quarantine; \(Built.kept.tags); \(Built.kept.reporting)",
        "v=DMARC1; p=reject; \(Built.kept.tags); t=y; \(Built.kept.reporting); pct=0",
        "v=DMARC1; p=reject; \(Built.kept.tags); \(Built.kept.reporting)",
    ]

    let own = Built.source("192.0.2.10", .compliant, messages: 1000, pass: 1000)

    @Test(
        "each published step is placed right, and the plan goes on from the next one",
        arguments: [
            // (live policy part, step, first rung suggested)
            ("p=none", 0, 1),
            ("p=quarantine; t=y; pct=0", 1, 2),
            ("p=quarantine; pct=25", 2, 3),
            ("p=quarantine; pct=50", 3, 4),
            ("p=quarantine", 4, 5),
            ("p=quarantine; pct=100", 4, 5),
            ("p=reject; t=y; pct=0", 5, 6),
            ("p=reject; t=y", 5, 6),
        ])
    func placement(policy: String, step: Int, next: Int) throws {
        let live = Built.live(policy)
        #expect(live.ladderStep == step)
        let r = Readiness.assess(domain: Built.domain, days: 30, policy: live, sources: [own])
        #expect(r.ladderStep == step)
        #expect(r.plan.map(\.explanation.code) == Array(Self.rungs[(next - 1)...]))
        #expect(r.plan.map(\.record) == Array(Self.records[(next - 1)...]))
        // Reject is ready only with quarantine on all mail (step 4 and up).
        #expect(r.reject.ready == (step >= 4))
        #expect(r.policySource.code == "policy.dns")
    }

    @Test("p=reject without test mode: nothing left but the record in force")
    func done() {
        let r = Readiness.assess(domain: Built.domain, days: 30, policy: Built.live("p=reject"), sources: [own])
        #expect(r.ladderStep == 6)
        #expect(r.plan.map(\.explanation.code) == ["plan.done"])
        #expect(r.plan[0].record == Self.records[5])
        #expect(r.reject.ready)
    }

    @Test("every suggested record parses back without errors and keeps the tags of the record in force")
    func recordsParse() throws {
        for policy in ["p=none", "p=quarantine; t=y; pct=0", "p=quarantine; pct=25"] {
            let r = Readiness.assess(domain: Built.domain, days: 30, policy: Built.live(policy), sources: [own])
            for step in r.plan where !step.record.isEmpty {
                let parsed = DMARCRecord.parse(step.record)
                #expect(!parsed.findings.contains { $0.severity == .error }, "\(step.record)")
                let record = try #require(parsed.record)
                #expect(record.rua.map(\.description) == ["mailto:dmarc@example.co.jp"])
                #expect(record.ruf.map(\.description) == ["mailto:forensic@example.co.jp"])
                #expect(record.sp == .quarantine && record.np == .reject && record.adkim == .strict)
                #expect(record.fo == [.anyFail])
                #expect(!step.record.contains("…"))
            }
        }
    }

    @Test("a report's pct and testing place the domain when DNS cannot be asked")
    func fromReports() {
        // RFC 7489 report after publishing p=quarantine; t=y; pct=0: it shows p=quarantine, pct=0
        // and no testing. pct=0 applies none to every message: step 1, so step 2 comes next.
        let tested = PolicyInForce(reportP: "quarantine", pct: 0)
        #expect(tested.ladderStep == 1)
        // pct=25: a quarter quarantined; next is pct=50, not reject.
        let quarter = PolicyInForce(reportP: "quarantine", pct: 25)
        #expect(quarter.ladderStep == 2)
        let r = Readiness.assess(domain: Built.domain, days: 30, policy: quarter, sources: [own])
        let ladder = r.plan.filter { !$0.record.isEmpty }
        #expect(ladder.first?.explanation.code == "plan.quarantine-half")
        #expect(ladder.first?.record == "v=DMARC1; p=quarantine; pct=50")
        // RFC 9990 reports say testing=y.
        #expect(PolicyInForce(reportP: "quarantine", testing: "y").ladderStep == 1)
        #expect(PolicyInForce(reportP: "reject", testing: "y").ladderStep == 5)
        #expect(PolicyInForce(reportP: "reject", pct: 100).ladderStep == 6)
        #expect(PolicyInForce(reportP: "bogus").ladderStep == 0)
        // The records carry no rua (the report does not show it) and the plan says so first,
        // instead of printing a placeholder inside a record.
        #expect(r.plan.first?.explanation.code == "plan.rua-unknown")
        #expect(r.plan.first?.record == "")
        #expect(ladder.allSatisfy { !$0.record.contains("rua=") && !$0.record.contains("…") })
        #expect(r.policySource.code == "policy.report-no-dns")
    }

    @Test("a forged report claiming p=reject does not beat the live record")
    func forgedPolicy() {
        let report = PolicyInForce(reportP: "reject")
        let live = PolicyInForce.choose(dns: ("v=DMARC1; p=none; rua=mailto:dmarc@example.co.jp", nil), report: report)
        #expect(live?.origin == .dns)
        let r = Readiness.assess(domain: Built.domain, days: 30, policy: live, sources: [own])
        #expect(r.ladderStep == 0)
        #expect(!r.reject.ready)
        #expect(r.plan.count == 6)
        #expect(r.plan[0].record == "v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc@example.co.jp; pct=0")
        // DNS failed: the report is used, and the page says why.
        let fallback = PolicyInForce.choose(dns: (nil, "no answer from the DNS server (timeout)"), report: report)
        #expect(fallback?.origin == .report)
        let f = Readiness.assess(domain: Built.domain, days: 30, policy: fallback, sources: [own])
        #expect(f.policySource.code == "policy.report")
        #expect(f.policySource.arguments == ["p=reject", "no answer from the DNS server (timeout)"])
        // Nothing known at all.
        #expect(PolicyInForce.choose(dns: (nil, "NXDOMAIN"), report: nil) == nil)
        #expect(
            Readiness.assess(domain: Built.domain, days: 30, policy: nil, sources: [own]).policySource.code
                == "policy.unknown")
    }

    @Test("a live record without rua, or with sp=none, gets a note before the records")
    func notes() {
        let bare = PolicyInForce(dns: "v=DMARC1; p=none; sp=none")!
        let r = Readiness.assess(domain: Built.domain, days: 30, policy: bare, sources: [own])
        #expect(r.plan.prefix(2).map(\.explanation.code) == ["plan.no-rua", "plan.sp-none"])
        #expect(r.plan[2].record == "v=DMARC1; p=quarantine; sp=none; t=y; pct=0")
    }
}
