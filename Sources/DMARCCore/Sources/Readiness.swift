/// Whether a domain can move to `quarantine` and `reject`, what would be blocked if it did, and
/// the steps to get there (RFC 9989 test mode, and `pct` for receivers still on RFC 7489).
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
        public var record: String
        public var explanation: Explanation
        /// For a fix step: the source and what to fix there.
        public var source: String?
        public var cause: FailureCause?
    }

    public var domain: String
    /// Days with reports in the period (rates are per reported day).
    public var days: Int
    public var currentPolicy: String?
    public var totals: [SourceClass: Int64]
    public var quarantine: Verdict
    public var reject: Verdict
    public var simulations: [Simulation]
    public var plan: [Step]

    /// Legitimate failing mail, as a share of legitimate mail, at most this for each policy.
    public static let quarantineLimitPerMille: Int64 = 10
    public static let rejectLimitPerTenThousand: Int64 = 10
    public static let minimumDays = 14

    /// Builds the readiness of `domain` from its classified sources over `days` days.
    public static func assess(
        domain: String, days: Int, currentPolicy: String?, testing: Bool, sources: [ClassifiedSource]
    ) -> Readiness {
        var totals: [SourceClass: Int64] = [:]
        for c in SourceClass.allCases { totals[c] = 0 }
        for s in sources { totals[s.sourceClass] = saturating(totals[s.sourceClass] ?? 0, s.profile.messages) }
        let legitimate = sources.filter { $0.sourceClass == .compliant || $0.sourceClass == .yoursFailing }
        let legitimateMessages = legitimate.reduce(Int64(0)) { saturating($0, $1.profile.messages) }
        let legitimateFailing = legitimate.reduce(Int64(0)) { saturating($0, $1.profile.failing) }
        // Compliant sources may fail a little (under 2%): that mail is caught too, so they count.
        let failingOwn = legitimate.filter { $0.profile.failing > 0 }
        let perDay = { (n: Int64) -> Double in Double(n) / Double(max(days, 1)) }

        var simulations: [Simulation] = []
        for policy in ["quarantine", "reject"] {
            let lines = legitimate.filter { $0.profile.failing > 0 }
                .map {
                    Simulation.Line(
                        ip: $0.profile.ip, name: $0.profile.service?.name ?? $0.profile.baseDomain ?? $0.profile.ip,
                        sourceClass: $0.sourceClass, messages: $0.profile.failing, perDay: perDay($0.profile.failing))
                }
                .sorted { ($0.messages, $1.ip) > ($1.messages, $0.ip) }
            simulations.append(
                Simulation(
                    policy: policy, messages: legitimateFailing, perDay: perDay(legitimateFailing), lines: lines,
                    forwardedMessages: sources.filter { $0.sourceClass == .forwarded }.reduce(0) {
                        $0 + $1.profile.failing
                    },
                    blockedSpoofing: sources.filter { $0.sourceClass == .suspicious }.reduce(0) {
                        $0 + $1.profile.failing
                    }))
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
        let failingShare = legitimateMessages > 0 ? Double(legitimateFailing) / Double(legitimateMessages) : 0
        let sharePerMille = Int64(failingShare * 1000)
        let sharePerTenThousand = Int64(failingShare * 10_000)
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
            if sharePerMille > quarantineLimitPerMille { quarantineReasons.append(line) }
        }
        let quarantineReady = quarantineReasons.isEmpty
        if quarantineReady {
            quarantineReasons.append(
                legitimateFailing == 0
                    ? Explanation("ready.all-pass", [], "All of your mail passes DMARC.")
                    : Explanation("ready.under-1", [], "Under 1% of your mail fails DMARC; fix the rest as you go."))
        }
        var rejectReasons = common
        if sharePerTenThousand > rejectLimitPerTenThousand {
            let daily = format(perDay(legitimateFailing))
            rejectReasons.append(
                Explanation(
                    "ready.reject-failing", [daily],
                    "\(daily) messages a day from your own sources fail DMARC; reject needs under 0.1%."))
        }
        if currentPolicy != "quarantine" && currentPolicy != "reject" {
            let p = currentPolicy ?? "unknown"
            rejectReasons.append(
                Explanation("ready.quarantine-first", [p], "Run quarantine first: the policy published is \(p)."))
        }
        let rejectReady = rejectReasons.isEmpty
        if rejectReady {
            rejectReasons.append(
                Explanation("ready.reject-ok", [], "Under 0.1% of your mail fails DMARC and quarantine is in place."))
        }

        return Readiness(
            domain: domain, days: days, currentPolicy: currentPolicy, totals: totals,
            quarantine: Verdict(policy: "quarantine", ready: quarantineReady, reasons: quarantineReasons),
            reject: Verdict(policy: "reject", ready: rejectReady, reasons: rejectReasons), simulations: simulations,
            plan: plan(current: currentPolicy, testing: testing, failingOwn: failingOwn))
    }

    /// The steps from the current policy to `reject`. RFC 9989 receivers know `t=y` (apply one
    /// level below) but not `pct`; RFC 7489 receivers know `pct` but not `t`. A `pct=0` beside
    /// `t=y` makes both apply one level below (RFC 7489 §6.6.4: mail outside the sample gets the
    /// next lower policy).
    static func plan(current: String?, testing: Bool, failingOwn: [ClassifiedSource]) -> [Step] {
        var steps: [Step] = []
        for s in failingOwn.prefix(10) {
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
        // The first ladder step still ahead of the policy published.
        let first: Int
        switch (current ?? "none", testing) {
        case ("quarantine", true): first = 2
        case ("quarantine", false): first = 3
        case ("reject", true): first = 4
        case ("reject", false): first = 5
        default: first = 1
        }
        let ladder: [(Int, String, String, String)] = [
            (
                1, "v=DMARC1; p=quarantine; t=y; pct=0", "plan.quarantine-test",
                "Test quarantine: receivers on RFC 9989 apply none (t=y), those on RFC 7489 apply none to every message (pct=0). Watch two weeks of reports for policy_test_mode and for your own mail failing."
            ),
            (
                2, "v=DMARC1; p=quarantine; pct=25", "plan.quarantine",
                "Quarantine: RFC 9989 receivers now quarantine all failing mail; RFC 7489 receivers a quarter of it. Then pct=50 and pct=100, a week or two each, while failures of your own stay near zero."
            ),
            (
                3, "v=DMARC1; p=reject; t=y; pct=0", "plan.reject-test",
                "Test reject: both kinds of receiver quarantine (one level below reject). Check that nothing of yours lands in spam."
            ),
            (
                4, "v=DMARC1; p=reject", "plan.reject",
                "Reject: failing mail is refused. Keep reading the reports for new senders."
            ),
        ]
        for (level, record, code, text) in ladder where level >= first {
            steps.append(
                Step(record: record + "; rua=…", explanation: Explanation(code, [], text), source: nil, cause: nil))
        }
        return steps
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
