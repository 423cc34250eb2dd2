import DMARCCore
import DMARCStore

enum SummaryCommand {
    static let command = Command(
        name: "summary",
        summary: "Per-domain totals: messages, DMARC/DKIM/SPF pass, both failed, dispositions",
        usage: """
            Usage: dmarcwatch summary [--domain D]... [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]

            Totals per policy domain. DKIM and SPF pass are the policy-evaluated (aligned) results;
            DMARC pass is either of them; "both failed" is the spoofing share. Messages count on the
            UTC day of their report's interval (reports over two days are spread over their days).

            Options:
              --domain D   only this domain (repeatable)
              --from DAY   first UTC day, inclusive
              --to DAY     last UTC day, inclusive
              --json       {"from", "to", "domains": [{"domain", "reports", "reporters", "records",
                           "messages", "dmarc_pass", "dkim_pass", "spf_pass", "both_fail",
                           "disposition": {"none", "quarantine", "reject", …}}]}

            """,
        options: ["--domain", "--from", "--to"],
        flags: ["--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else { throw UsageError(message: "unexpected argument \(args.positionals[0])") }
        let filter = try CommandLineTool.filter(args)
        let store = try context.openStore()
        let domains = try store.summary(filter)
        if args.flag("--json") {
            let json = JSONValue.object([
                ("from", .optional(filter.fromDay.map(DayMath.isoDate))),
                ("to", .optional(filter.toDay.map(DayMath.isoDate))),
                ("domains", .array(domains.map(json))),
            ])
            Console.out(json.serialized(pretty: true) + "\n")
            return ExitCode.success
        }
        if domains.isEmpty {
            Console.out("No reports stored for this selection. Import some with 'dmarcwatch import PATH'.\n")
            return ExitCode.success
        }
        for d in domains {
            var text = "\(d.domain)\n"
            text +=
                "  \(grouped(d.reports)) report(s) from \(grouped(d.reporters)) reporter(s), \(grouped(d.records)) records, "
            text += "\(grouped(d.messages)) messages\n"
            text += "  DMARC pass \(grouped(d.dmarcPass)) (\(percent(d.dmarcPass, of: d.messages)))"
            text += "   DKIM aligned \(grouped(d.dkimPass)) (\(percent(d.dkimPass, of: d.messages)))"
            text += "   SPF aligned \(grouped(d.spfPass)) (\(percent(d.spfPass, of: d.messages)))\n"
            text += "  both failed (spoofing?) \(grouped(d.bothFail)) (\(percent(d.bothFail, of: d.messages)))\n"
            text +=
                "  dispositions: "
                + dispositionOrder(d.disposition).map { "\($0.0) \(grouped($0.1))" }.joined(separator: ", ")
            text += "\n\n"
            Console.out(text)
        }
        return ExitCode.success
    }

    static func dispositionOrder(_ d: [String: Int64]) -> [(String, Int64)] {
        let known = ["none", "quarantine", "reject"]
        let rest = d.keys.filter { !known.contains($0) }.sorted()
        return (known + rest).map { ($0.isEmpty ? "(empty)" : $0, d[$0] ?? 0) }
    }

    static func json(_ d: DomainSummary) -> JSONValue {
        .object([
            ("domain", .string(d.domain)), ("reports", .int(d.reports)), ("reporters", .int(d.reporters)),
            ("records", .int(d.records)), ("messages", .int(d.messages)), ("dmarc_pass", .int(d.dmarcPass)),
            ("dkim_pass", .int(d.dkimPass)), ("spf_pass", .int(d.spfPass)), ("both_fail", .int(d.bothFail)),
            (
                "disposition",
                .object(dispositionOrder(d.disposition).map { ($0.0 == "(empty)" ? "" : $0.0, .int($0.1)) })
            ),
        ])
    }
}
