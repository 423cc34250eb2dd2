import DMARCCore
import DMARCEnrich
import DMARCIngest
import DMARCNet
import DMARCStore
import DMARCWeb

#if canImport(Glibc)
    import Glibc
#endif

/// The period and analysis options `sources` and `readiness` share.
struct SourceQuery {
    var domain: String
    var fromDay: Int64
    var toDay: Int64
    var analysis: SourceAnalysis
    /// The DMARC record in force: the live one from DNS, else the newest report's policy.
    var policy: PolicyInForce?

    static let options: Set<String> = ["--domain", "--from", "--to", "--days", "--nameserver", "--dns-map"]
    static let help = """
          --domain D           the domain (required)
          --days N             the N days up to the latest report not dated in the future
                               (default 30), or:
          --from DAY --to DAY  a period, YYYY-MM-DD
          --nameserver H[:P]   DNS server for the DMARC record and SPF checks (default: the system's)
          --no-dns             skip DNS: the policy comes from the newest report, "in your SPF
                               record" stays unknown
          --dns-map FILE       parsedmarc's base_reverse_dns_map.csv, to name more senders
        """

    static func parse(_ args: Arguments, store: ReportStore) throws -> SourceQuery {
        guard let raw = args.value("--domain") else { throw UsageError(message: "--domain is required") }
        let domain = raw.lowercased()
        let filter = try CommandLineTool.filter(args)
        // The newest report up to today: one forged report dated 2199 must not move the default
        // period there (and leave it empty).
        let today = DayMath.day(of: Int64(time(nil)))
        let latest = try store.latestDay(domain: domain, notAfter: today) ?? today
        var days: Int64 = 30
        if let text = args.value("--days") {
            guard let n = Int64(text), (1...3660).contains(n) else {
                throw UsageError(message: "--days must be 1 to 3660")
            }
            days = n
        }
        let to = filter.toDay ?? latest
        let from = filter.fromDay ?? (to - days + 1)
        var authorizer: SPFAuthorizer?
        var live: (record: String?, problem: String?)?
        if !args.flag("--no-dns") {
            let resolver = DNSResolver(try DNSConfiguration.from(args))
            authorizer = SPFAuthorizer(resolver: resolver)
            live = DMARCPolicyFinder(resolver: resolver).publishedRecord(domain)
        }
        let policy = PolicyInForce.choose(dns: live, report: try store.publishedPolicy(domain: domain)?.inForce())
        return SourceQuery(
            domain: domain, fromDay: from, toDay: to,
            analysis: SourceAnalysis(authorizer: authorizer, reverseDNSMap: try reverseDNSMap(args)), policy: policy)
    }

    /// parsedmarc's map from `--dns-map`, if given (`sources`, `readiness` and `serve`).
    static func reverseDNSMap(_ args: Arguments) throws -> ReverseDNSMap? {
        guard let path = args.value("--dns-map") else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try FileStream(path: path).readAll(limit: 64 << 20, what: "the reverse DNS map")
        } catch {
            throw UsageError(message: "cannot read \(path): \(error)")
        }
        return ReverseDNSMap.parse(String(decoding: bytes, as: UTF8.self)).map
    }

    func classified(_ store: ReportStore) throws -> [ClassifiedSource] {
        analysis.classify(try store.sourceProfiles(domain: domain, fromDay: fromDay, toDay: toDay), policy: policy)
    }

    var periodJSON: JSONValue {
        .object([("from", .string(DayMath.isoDate(day: fromDay))), ("to", .string(DayMath.isoDate(day: toDay)))])
    }
}

enum SourcesCommand {
    static let command = Command(
        name: "sources",
        summary: "Who sends as a domain: sources by class (compliant, yours but failing, forwarded, suspicious)",
        usage: """
            Usage: dmarcwatch sources --domain D [--days N | --from DAY --to DAY] [--class C] [--json]
                   dmarcwatch sources approve|not-mine|clear --domain D IP [--note TEXT]
                   dmarcwatch sources owner IP [--rdap-url URL]

            Lists every address that sent as D in the period with its class and the evidence for it:
              compliant       passes DMARC
              yours-failing   tied to you (in your SPF, aligned SPF passes on part of its mail,
                              your own reverse DNS, or your DKIM signature passing through a
                              known service) but failing: each cause with its fix
              forwarded       forwarders and mailing lists (override reasons, known forwarders
                              and lists, your DKIM signature intact from a server not tied to you)
              suspicious      fails, and nothing ties it to you: likely spoofing (a known ESP
                              is named, with how to approve and align it if it is yours)
            'approve' and 'not-mine' record your decision, which overrides the guess; 'clear'
            forgets it. 'owner' asks RDAP (the successor of WHOIS; default https://rdap.org, which
            redirects to the registry) who holds the address's network, and keeps the answer.
            Run 'dmarcwatch enrich' first for reverse DNS, country and AS.

            \(SourceQuery.help)
              --class C            only sources of this class
              --json               the sources with their evidence, as JSON

            """,
        options: SourceQuery.options.union(["--class", "--note", "--rdap-url"]),
        flags: ["--json", "--no-dns"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        let store = try context.openStore()
        if args.positionals.first == "owner" {
            guard args.positionals.count == 2, let address = IPAddress(args.positionals[1]) else {
                throw UsageError(message: "expected 'sources owner IP'")
            }
            let client: RDAPClient
            do {
                client = try RDAPClient(baseURL: args.value("--rdap-url") ?? "https://rdap.org")
            } catch {
                throw UsageError(message: "--rdap-url: \(error)")
            }
            let owner = try client.lookup(address)
            try store.saveNetworkOwner(ip: address.description, owner: owner.owner, handle: owner.handle)
            if args.flag("--json") {
                Console.out(
                    JSONValue.object([
                        ("ip", .string(address.description)), ("owner", .optional(owner.owner)),
                        ("handle", .optional(owner.handle)), ("network", .optional(owner.networkName)),
                        ("country", .optional(owner.country)), ("range", .optional(owner.range)),
                    ]).serialized(pretty: true) + "\n")
            } else {
                let parts = [owner.owner, owner.handle.map { "(\($0))" }, owner.range, owner.country].compactMap { $0 }
                Console.out(sanitized("\(address): \(parts.joined(separator: " "))") + "\n")
            }
            return ExitCode.success
        }
        if let verb = args.positionals.first {
            guard ["approve", "not-mine", "clear"].contains(verb), args.positionals.count == 2 else {
                throw UsageError(message: "expected 'sources approve|not-mine|clear --domain D IP'")
            }
            guard let domain = args.value("--domain")?.lowercased() else {
                throw UsageError(message: "--domain is required")
            }
            guard let address = IPAddress(args.positionals[1]) else {
                throw UsageError(message: "'\(args.positionals[1])' is not an IP address")
            }
            let verdict: SourceDecision.Verdict? =
                verb == "approve" ? .approved : verb == "not-mine" ? .notMine : nil
            let who = Console.environment("USER") ?? "cli"
            try store.setSourceDecision(
                domain: domain, ip: address.description, verdict: verdict, by: who, note: args.value("--note"))
            Console.out("\(address) for \(domain): \(verdict?.rawValue ?? "decision cleared").\n")
            return ExitCode.success
        }
        let query = try SourceQuery.parse(args, store: store)
        var sources = try query.classified(store)
        if let c = args.value("--class") {
            guard let wanted = SourceClass(rawValue: c) else {
                throw UsageError(
                    message: "--class must be one of \(SourceClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            sources = sources.filter { $0.sourceClass == wanted }
        }
        if args.flag("--json") {
            let json = JSONValue.object([
                ("domain", .string(query.domain)), ("period", query.periodJSON),
                ("sources", .array(sources.map(SourceJSON.source))),
            ])
            Console.out(json.serialized(pretty: true) + "\n")
            return ExitCode.success
        }
        Console.out(
            "\(query.domain), \(DayMath.isoDate(day: query.fromDay)) to \(DayMath.isoDate(day: query.toDay)): \(sources.count) source(s)\n"
        )
        for c in SourceClass.allCases {
            let group = sources.filter { $0.sourceClass == c }
            guard !group.isEmpty else { continue }
            let messages = group.reduce(Int64(0)) {
                let (sum, overflow) = $0.addingReportingOverflow($1.profile.messages)
                return overflow ? Int64.max : sum
            }
            Console.out("\n\(c.rawValue): \(group.count) source(s), \(grouped(messages)) messages\n")
            for s in group.prefix(50) {
                let p = s.profile
                let name = [p.service?.name, p.ptr].compactMap { $0 }.joined(separator: ", ")
                Console.out(
                    sanitized(
                        "  \(p.ip)\(name.isEmpty ? "" : " (\(name))"): \(grouped(p.messages)) messages, "
                            + "DMARC pass \(percent(p.dmarcPass, of: p.messages))\(s.decided ? " [decided]" : "")")
                        + "\n")
                for e in s.evidence { Console.out(sanitized("      - \(e)") + "\n") }
                for cause in s.causes {
                    Console.out(sanitized("      ! \(cause.message)") + "\n")
                    Console.out(sanitized("        fix: \(cause.fixText)") + "\n")
                }
            }
            if group.count > 50 { Console.out("  … and \(group.count - 50) more (--json lists all)\n") }
        }
        return ExitCode.success
    }
}

enum ReadinessCommand {
    static let command = Command(
        name: "readiness",
        summary: "Can a domain move to quarantine or reject? Verdicts, simulation and a stepped plan",
        usage: """
            Usage: dmarcwatch readiness --domain D [--days N | --from DAY --to DAY] [--json]

            Classifies the domain's sources (see 'dmarcwatch sources'), then says whether
            quarantine and reject are safe, with reasons; simulates each policy over the period
            (messages a day from your own sources that would have been quarantined or rejected,
            by source); and prints the steps from the policy in force to reject, using RFC 9989
            test mode (t=y) and pct for receivers still on RFC 7489. The policy in force is the
            live DMARC record (the newest report's policy only when DNS cannot be asked: reports
            are not authenticated); each step is the complete record to publish, with the other
            tags of the live record kept.

            \(SourceQuery.help)
              --json               verdicts, simulations and plan as JSON

            """,
        options: SourceQuery.options,
        flags: ["--json", "--no-dns"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else { throw UsageError(message: "readiness takes no arguments") }
        let store = try context.openStore()
        let query = try SourceQuery.parse(args, store: store)
        let r = Readiness.assess(
            domain: query.domain,
            days: try store.reportedDays(domain: query.domain, fromDay: query.fromDay, toDay: query.toDay),
            policy: query.policy, sources: try query.classified(store))
        if args.flag("--json") {
            Console.out(SourceJSON.readiness(r, period: query.periodJSON).serialized(pretty: true) + "\n")
            return ExitCode.success
        }
        Console.out(sanitized("\(r.domain): \(r.days) days of reports") + "\n")
        Console.out(sanitized(r.policySource.description) + "\n\n")
        for c in SourceClass.allCases {
            Console.out("  \(c.rawValue.padding(to: 15))\(grouped(r.totals[c] ?? 0)) messages\n")
        }
        for v in [r.quarantine, r.reject] {
            Console.out("\n\(v.policy): \(v.ready ? "READY" : "NOT READY")\n")
            for reason in v.reasons { Console.out(sanitized("  - \(reason)") + "\n") }
        }
        for sim in r.simulations {
            Console.out(
                "\nIf p=\(sim.policy) had applied: \(Readiness.format(sim.perDay)) messages a day of yours would have been \(sim.policy == "reject" ? "rejected" : "quarantined") (\(grouped(sim.messages)) in all); \(grouped(sim.blockedSpoofing)) suspicious and \(grouped(sim.forwardedMessages)) forwarded messages too.\n"
            )
            for line in sim.lines.prefix(20) {
                Console.out(sanitized("  \(line.ip) \(line.name): \(Readiness.format(line.perDay)) a day") + "\n")
            }
        }
        Console.out("\nPlan:\n")
        for (i, step) in r.plan.enumerated() {
            Console.out(
                sanitized("  \(i + 1). \(step.record.isEmpty ? "" : step.record + "\n     ")\(step.explanation)") + "\n"
            )
        }
        return ExitCode.success
    }
}
