import DMARCCore
import DMARCStore

enum TLSReportsCommand {
    static let command = Command(
        name: "tls-reports",
        summary: "SMTP TLS (RFC 8460) report totals per policy domain",
        usage: """
            Usage: dmarcwatch tls-reports [--domain D]... [--from DAY] [--to DAY] [--json]

            Per policy domain: TLS sessions that succeeded and failed, failures by result type
            (starttls-not-supported, certificate-expired, sts-policy-fetch-error, …) and the MX
            hosts that failed, from the TLS-RPT reports imported.

            Options:
              --domain D   only this policy domain (repeatable)
              --from DAY   first UTC day (YYYY-MM-DD), inclusive
              --to DAY     last UTC day, inclusive
              --json       {"domains": [{"domain", "reports", "reporters", "successful_sessions",
                           "failed_sessions", "policy_types", "failures": [{"result_type", "sessions"}],
                           "failing_mx_hosts": [{"host", "sessions"}]}]}

            """,
        options: ["--domain", "--from", "--to"],
        flags: ["--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else { throw UsageError(message: "unexpected argument \(args.positionals[0])") }
        let filter = try CommandLineTool.filter(args)
        let domains = try context.openStore().tlsSummary(filter)
        if args.flag("--json") {
            let json = JSONValue.object([
                (
                    "domains",
                    .array(
                        domains.map { d in
                            .object([
                                ("domain", .string(d.domain)), ("reports", .int(d.reports)),
                                ("reporters", .int(d.reporters)),
                                ("successful_sessions", .int(d.successfulSessions)),
                                ("failed_sessions", .int(d.failedSessions)),
                                ("policy_types", .array(d.policyTypes.map { .string($0) })),
                                (
                                    "failures",
                                    .array(
                                        d.failuresByType.map {
                                            .object([
                                                ("result_type", .string($0.type)), ("sessions", .int($0.sessions)),
                                            ])
                                        })
                                ),
                                (
                                    "failing_mx_hosts",
                                    .array(
                                        d.failingMXHosts.map {
                                            .object([("host", .string($0.host)), ("sessions", .int($0.sessions))])
                                        })
                                ),
                            ])
                        })
                )
            ])
            Console.out(json.serialized(pretty: true) + "\n")
            return ExitCode.success
        }
        if domains.isEmpty {
            Console.out("No TLS-RPT reports stored for this selection.\n")
            return ExitCode.success
        }
        var text = ""
        for d in domains {
            let total = d.successfulSessions + d.failedSessions
            text +=
                "\(d.domain.isEmpty ? "(no policy domain)" : d.domain)  [\(d.policyTypes.joined(separator: ", "))]\n"
            text +=
                "  \(grouped(d.reports)) report(s) from \(grouped(d.reporters)) reporter(s): \(grouped(total)) sessions, "
            text += "\(grouped(d.failedSessions)) failed (\(percent(d.failedSessions, of: total)))\n"
            for f in d.failuresByType { text += "  \(f.type.padding(to: 28))\(grouped(f.sessions)) session(s)\n" }
            if !d.failingMXHosts.isEmpty {
                text +=
                    "  failing MX hosts: "
                    + d.failingMXHosts.map { "\($0.host) (\(grouped($0.sessions)))" }.joined(separator: ", ") + "\n"
            }
            text += "\n"
        }
        Console.out(sanitized(text))
        return ExitCode.success
    }
}
