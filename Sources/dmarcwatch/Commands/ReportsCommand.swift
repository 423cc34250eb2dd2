import DMARCCore
import DMARCStore

enum ReportsCommand {
    static let command = Command(
        name: "reports",
        summary: "List stored reports by reporter and date",
        usage: """
            Usage: dmarcwatch reports [--domain D]... [--from DAY] [--to DAY] [--limit N] [--json]

            Lists stored aggregate reports, newest first.

            Options:
              --domain D   only this domain (repeatable)
              --from DAY   first UTC day (YYYY-MM-DD), inclusive
              --to DAY     last UTC day, inclusive
              --limit N    at most N reports (default 100)
              --json       [{"id", "reporter", "email", "report_id", "domain", "begin", "end", "flavour",
                           "policy", "records", "messages", "warnings", "source"}]

            """,
        options: ["--domain", "--from", "--to", "--limit"],
        flags: ["--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else { throw UsageError(message: "unexpected argument \(args.positionals[0])") }
        let filter = try CommandLineTool.filter(args)
        var limit = 100
        if let text = args.value("--limit") {
            guard let n = Int(text), n > 0 else { throw UsageError(message: "--limit must be a positive number") }
            limit = n
        }
        let reports = try context.openStore().reports(filter, limit: limit)
        if args.flag("--json") {
            let json = JSONValue.array(
                reports.map { r in
                    .object([
                        ("id", .int(r.id)), ("reporter", .string(r.reporter)), ("email", .optional(r.email)),
                        ("report_id", .string(r.reportID)), ("domain", .string(r.domain)),
                        ("begin", .string(DayMath.isoDateTime(r.begin) + "Z")),
                        ("end", .string(DayMath.isoDateTime(r.end) + "Z")),
                        ("flavour", .string(r.flavour)), ("policy", .optional(r.policy)), ("records", .int(r.records)),
                        ("messages", .int(r.messages)), ("warnings", .int(r.warnings)), ("source", .string(r.source)),
                    ])
                })
            Console.out(json.serialized(pretty: true) + "\n")
            return ExitCode.success
        }
        if reports.isEmpty {
            Console.out("No reports stored for this selection.\n")
            return ExitCode.success
        }
        Console.out("DATE (UTC)  DOMAIN                  REPORTER                  RECORDS  MESSAGES  REPORT ID\n")
        for r in reports {
            let line =
                DayMath.isoDate(day: DayMath.day(of: r.begin)).padding(to: 12)
                + String(r.domain.prefix(23)).padding(to: 24)
                + String(r.reporter.prefix(25)).padding(to: 26) + grouped(r.records).leftPadded(7) + "  "
                + grouped(r.messages).leftPadded(8) + "  " + r.reportID
                + (r.warnings > 0 ? "  (\(r.warnings) warnings)" : "")
            Console.out(sanitized(line) + "\n")
        }
        return ExitCode.success
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
