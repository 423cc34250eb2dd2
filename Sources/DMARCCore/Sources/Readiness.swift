/// Whether a domain can move to `quarantine` and `reject`, what would be blocked if it did, and
/// the steps to get there (RFC 9989 test mode, and `pct` for receivers still on RFC 7489), each
/// step a complete record to publish.
public struct Readiness: Sendable, Equatable {
    public struct Verdict: Sendable, Equatable {
        public var policy: String
        public var ready: Bool
        public var reasons: [Explanation]
    }

    /// Legitimate mail a policy would have caught: by source, per day.
    public struct Simulation: Sendable, Equatable {
        public struct Line: Sendable, Equatable {
            public var ip: String
            public var name: String
            public var sourceClass: SourceClass
            public var messages: Int64
            public var perDay: Double
        }

        public var policy: String
        public var messages: Int64
        public var perDay: Double
        public var lines: [Line]
        /// Failing mail from forwarders and lists the policy would also catch (ARC and list
        /// rewriting save much of it at large receivers).
        public var forwardedMessages: Int64
        /// Failing mail from suspicious sources: what enforcement is for.
        public var blockedSpoofing: Int64
    }

    public struct Step: Sendable, Equatable {
        /// The complete record to publish at `_dmarc.<domain>`; empty for fix steps and notes.
        public var record: String
        public var explanation: Explanation
        /// For a fix step: the source and what to fix there.
        public var source: String?
        public var cause: FailureCause?
    }

    public var domain: String
    /// Days of reports in the period: UTC days that a report counted in the period covers (see
    /// `ReportStore.reportedDays`). Rates are per day of reports.
    public var days: Int
    /// The policy in force (`p`), as `policy` gives it.
    public var currentPolicy: String?
    /// The record the plan builds on, and where it was read.
    public var policy: PolicyInForce?
    /// Where the domain stands on the ladder (see `PolicyInForce.ladderStep`).
    public var ladderStep: Int
    /// Which policy was used, and why, in a sentence.
    public var policySource: Explanation
    public var totals: [SourceClass: Int64]
    public var quarantine: Verdict
    public var reject: Verdict
    public var simulations: [Simulation]
    public var plan: [Step]

    /// Legitimate failing mail, as a share of legitimate mail, at most this for each policy:
    /// 1% for quarantine, 0.1% for reject.
    public static let quarantineLimitPerMille: Int64 = 10
    public static let rejectLimitPerTenThousand: Int64 = 10
    public static let minimumDays = 14
    /// At most this many sources get fix steps in the plan (the largest failures first).
    public static let planSources = 10

    /// Builds the readiness of `domain` from its classified sources over `days` days of reports,
    /// with `policy` the record in force (nil: unknown).
    public static func assess(domain: String, days: Int, policy: PolicyInForce?, sources: [ClassifiedSource])
        -> Readiness
    {
        var totals: [SourceClass: Int64] = [:]
        for c in SourceClass.allCases { totals[c] = 0 }
        for s in sources { totals[s.sourceClass] = saturating(totals[s.sourceClass] ?? 0, s.profile.messages) }
        let legitimate = sources.filter { $0.sourceClass == .compliant || $0.sourceClass == .yoursFailing }
        let legitimateMessages = legitimate.reduce(Int64(0)) { saturating($0, $1.profile.messages) }
        let legitimateFailing = legitimate.reduce(Int64(0)) { saturating($0, $1.profile.failing) }
        // Compliant sources may fail a little (under 2%): that mail is caught too, so it counts in
        // the verdicts and the simulation, but only sources with a cause get fix steps.
        let failingOwn = legitimate.filter { $0.profile.failing > 0 }
        let fixable = legitimate.filter { $0.sourceClass == .yoursFailing && !$0.causes.isEmpty }
            .sorted { ($0.profile.failing, $1.profile.ip) > ($1.profile.failing, $0.profile.ip) }
        let perDay = { (n: Int64) -> Double in Double(n) / Double(max(days, 1)) }
        let forwarded = sources.filter { $0.sourceClass == .forwarded }.reduce(Int64(0)) {
            saturating($0, $1.profile.failing)
        }
        let spoofing = sources.filter { $0.sourceClass == .suspicious }.reduce(Int64(0)) {
            saturating($0, $1.profile.failing)
        }
        let lines = failingOwn.map {
            Simulation.Line(
                ip: $0.profile.ip, name: $0.profile.service?.name ?? $0.profile.baseDomain ?? $0.profile.ip,
                sourceClass: $0.sourceClass, messages: $0.profile.failing, perDay: perDay($0.profile.failing))
        }
        .sorted { ($0.messages, $1.ip) > ($1.messages, $0.ip) }
        let simulations = ["quarantine", "reject"].map {
            Simulation(
                policy: $0, messages: legitimateFailing, perDay: perDay(legitimateFailing), lines: lines,
                forwardedMessages: forwarded, blockedSpoofing: spoofing)
        }

        var common: [Explanation] = []
        if days < minimumDays {
            common.append(
                Explanation(
                    "ready.too-few-days", ["\(days)", "\(minimumDays)"],
                    "Only \(days) days of reports: watch at least \(minimumDays) days before enforcing."))
        }
        if legitimateMessages == 0 {
            common.append(Explanation("ready.no-own-mail", [], "No mail from your own sources in the period."))
        }
        var quarantineReasons = common
        // Exact comparisons: a share of 1.099% is over 1%, whatever the rounding.
        let quarantineBlocked = exceeds(
            legitimateFailing, of: legitimateMessages, limit: quarantineLimitPerMille, per: 1000)
        let rejectBlocked = exceeds(
            legitimateFailing, of: legitimateMessages, limit: rejectLimitPerTenThousand, per: 10_000)
        if legitimateFailing > 0 {
            let share = format(Double(legitimateFailing) * 100 / Double(max(legitimateMessages, 1)))
            let daily = format(perDay(legitimateFailing))
            let line =
                failingOwn.count == 1
                ? Explanation(
                    "ready.own-failing-one", [daily, share],
                    "One of your sources fails DMARC: \(daily) messages a day (\(share)% of your mail) would be affected."
                )
                : Explanation(
                    "ready.own-failing", ["\(failingOwn.count)", daily, share],
                    "\(failingOwn.count) of your sources fail DMARC: \(daily) messages a day (\(share)% of your mail) would be affected."
                )
            if quarantineBlocked { quarantineReasons.append(line) }
        }
        let quarantineReady = quarantineReasons.isEmpty
        if quarantineReady {
            quarantineReasons.append(
                legitimateFailing == 0
                    ? Explanation("ready.all-pass", [], "All of your mail passes DMARC.")
                    : Explanation("ready.under-1", [], "Under 1% of your mail fails DMARC; fix the rest as you go."))
        }
        var rejectReasons = common
        if rejectBlocked {
            let daily = format(perDay(legitimateFailing))
            rejectReasons.append(
                Explanation(
                    "ready.reject-failing", [daily],
                    "\(daily) messages a day from your own sources fail DMARC; reject needs under 0.1%."))
        }
        let step = policy?.ladderStep ?? 0
        if step < 4 {
            let p = policy?.summary ?? "unknown"
            rejectReasons.append(
                Explanation(
                    "ready.quarantine-first", [p],
                    "Run quarantine on all failing mail first (no t=y, pct=100): the policy in force is \(p)."))
        }
        let rejectReady = rejectReasons.isEmpty
        if rejectReady {
            rejectReasons.append(
                Explanation("ready.reject-ok", [], "Under 0.1% of your mail fails DMARC and quarantine is in place."))
        }
        // Suspicious mail through services that send for customers may be an account of the
        // domain's that nothing ties to it yet (no SPF include, no own signature): a caution on
        // both verdicts, not a block, since phishers use the same services.
        let unvouched = sources.filter {
            $0.sourceClass == .suspicious && !$0.decided && ($0.profile.service?.kind.sendsForCustomers ?? false)
        }
        if !unvouched.isEmpty {
            let names = Array(Set(unvouched.compactMap { $0.profile.service?.name })).sorted().prefix(3)
                .joined(separator: ", ")
            let daily = format(perDay(unvouched.reduce(Int64(0)) { saturating($0, $1.profile.failing) }))
            let caution = Explanation(
                "ready.check-services", [names, daily],
                "Check first: \(daily) messages a day come through \(names) with nothing tying them to you; enforcement blocks them, so approve any source there that is yours."
            )
            quarantineReasons.append(caution)
            rejectReasons.append(caution)
        }

        return Readiness(
            domain: domain, days: days, currentPolicy: policy?.record.effectivePolicy?.rawValue, policy: policy,
            ladderStep: step, policySource: source(policy), totals: totals,
            quarantine: Verdict(policy: "quarantine", ready: quarantineReady, reasons: quarantineReasons),
            reject: Verdict(policy: "reject", ready: rejectReady, reasons: rejectReasons), simulations: simulations,
            plan: plan(domain: domain, policy: policy, fixes: Array(fixable.prefix(planSources))))
    }

    /// Whether `part / whole` is over `limit / scale`, exactly (128-bit products).
    static func exceeds(_ part: Int64, of whole: Int64, limit: Int64, per scale: Int64) -> Bool {
        part > 0 && !SourceClassifier.share(limit, of: scale, atLeast: part, per: max(whole, 1))
    }

    /// Which policy readiness used, in a sentence.
    static func source(_ policy: PolicyInForce?) -> Explanation {
        guard let policy else {
            return Explanation(
                "policy.unknown", [], "No policy known: DNS gave no DMARC record and no report shows one.")
        }
        let text = policy.record.render()
        switch (policy.origin, policy.dnsProblem) {
        case (.dns, _):
            return Explanation("policy.dns", [text], "Policy in force, from the DMARC record in DNS: \(text)")
        case (.report, let problem?):
            return Explanation(
                "policy.report", [policy.summary, problem],
                "Policy in force, from the newest report (the DNS lookup failed: \(problem)): \(policy.summary)")
        case (.report, nil):
            return Explanation(
                "policy.report-no-dns", [policy.summary],
                "Policy in force, from the newest report (DNS not asked): \(policy.summary)")
        }
    }

    /// The rungs of the ladder: policy, `t`, `pct` (nil: the tag left out), and what the step does.
    static let ladder: [(step: Int, p: DMARCPolicy, t: Bool?, pct: Int?, code: String, text: String)] = [
        (
            1, .quarantine, true, 0, "plan.quarantine-test",
            "Test quarantine: receivers on RFC 9989 apply none (t=y), those on RFC 7489 apply none to every message (pct=0). Watch two weeks of reports for policy_test_mode and for your own mail failing."
        ),
        (
            2, .quarantine, nil, 25, "plan.quarantine",
            "Quarantine: RFC 9989 receivers now quarantine all failing mail (they ignore pct); RFC 7489 receivers a quarter of it. Stay a week or two while failures of your own stay near zero."
        ),
        (
            3, .quarantine, nil, 50, "plan.quarantine-half",
            "Quarantine half: RFC 7489 receivers quarantine half of the failing mail. Another week or two."
        ),
        (
            4, .quarantine, nil, nil, "plan.quarantine-full",
            "Quarantine all failing mail (pct left out: 100). Stay until your own failures are under 0.1%."
        ),
        (
            5, .reject, true, 0, "plan.reject-test",
            "Test reject: both kinds of receiver quarantine (one level below reject). Check that nothing of yours lands in spam."
        ),
        (
            6, .reject, nil, nil, "plan.reject",
            "Reject: failing mail is refused. Keep reading the reports for new senders."
        ),
    ]

    /// The fixes, then the steps from the policy in force to `reject`. RFC 9989 receivers know
    /// `t=y` (apply one level below) but not `pct`; RFC 7489 receivers know `pct` but not `t`. A
    /// `pct=0` beside `t=y` makes both apply one level below (RFC 7489 §6.6.4: mail outside the
    /// sample gets the next lower policy). Every record keeps the tags of the record in force
    /// (`sp`, `np`, `adkim`, `aspf`, `rua`, `ruf`, `fo`…) and parses back without errors.
    static func plan(domain: String, policy: PolicyInForce?, fixes: [ClassifiedSource]) -> [Step] {
        var steps: [Step] = []
        for s in fixes {
            let name = s.profile.service?.name ?? s.profile.ip
            for c in s.causes {
                steps.append(
                    Step(
                        record: "",
                        explanation: Explanation(
                            "plan.fix", [name, c.message.description, c.fixText],
                            "Fix \(name): \(c.message) \(c.fixText)"), source: name, cause: c))
            }
        }
        let base = policy?.record ?? DMARCRecord(p: DMARCPolicy.none)
        let current = policy?.ladderStep ?? 0
        if current >= 6 {
            steps.append(
                Step(
                    record: policy?.origin == .dns ? Self.record(base, domain: domain) ?? "" : "",
                    explanation: Explanation(
                        "plan.done", [], "p=reject is in force. Keep reading the reports for new senders."),
                    source: nil, cause: nil))
            return steps
        }
        if policy?.origin != .dns {
            let why = policy?.dnsProblem ?? "DNS was not asked"
            steps.append(
                Step(
                    record: "",
                    explanation: Explanation(
                        "plan.rua-unknown", [why],
                        "The live DMARC record could not be read (\(why)), so the records below are built from what the reports show and carry no rua=: add your rua= (and ruf=, if you use it) before publishing, or the reports stop."
                    ), source: nil, cause: nil))
        } else if base.rua.isEmpty {
            steps.append(
                Step(
                    record: "",
                    explanation: Explanation(
                        "plan.no-rua", [],
                        "Your record has no rua=, and neither do the records below: add one so receivers keep sending aggregate reports."
                    ), source: nil, cause: nil))
        }
        if let sp = base.sp, sp == DMARCPolicy.none {
            steps.append(
                Step(
                    record: "",
                    explanation: Explanation(
                        "plan.sp-none", [],
                        "Your record has sp=none, kept below: subdomains stay unprotected. Raise sp with p once their senders pass."
                    ), source: nil, cause: nil))
        }
        for rung in ladder where rung.step > current {
            var r = base
            r.p = rung.p
            r.t = rung.t
            r.pct = rung.pct
            steps.append(
                Step(
                    record: Self.record(r, domain: domain) ?? "", explanation: Explanation(rung.code, [], rung.text),
                    source: nil, cause: nil))
        }
        return steps
    }

    /// The record as text, checked by the parser; when it does not parse back cleanly (a tag of
    /// the record in force the grammar rejects), the generator builds it from the standard tags.
    static func record(_ r: DMARCRecord, domain: String) -> String? {
        let text = r.render()
        if !DMARCRecord.parse(text).findings.contains(where: { $0.severity == .error }) { return text }
        let request = DMARCRecordRequest(
            domain: domain, policy: (r.p ?? DMARCPolicy.none).rawValue, subdomainPolicy: r.sp?.rawValue,
            nonexistentPolicy: r.np?.rawValue, adkim: r.adkim?.rawValue, aspf: r.aspf?.rawValue,
            rua: r.rua.map(\.description), ruf: r.ruf.map(\.description),
            failureOptions: r.fo.map { $0.map(\.rawValue).joined(separator: ":") }, testing: r.t == true,
            legacyPct: r.pct)
        return try? DMARCRecordGenerator.generate(request).value
    }

    /// One decimal place; beyond ±10^15 (only hostile reports get there) the value is clamped.
    public static func format(_ v: Double) -> String {
        guard v.isFinite else { return "–" }
        let tenths = Int64((min(max(v, -1e15), 1e15) * 10).rounded())
        return (tenths < 0 ? "-" : "") + "\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    static func saturating(_ a: Int64, _ b: Int64) -> Int64 {
        let (v, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int64.max : v
    }
}
