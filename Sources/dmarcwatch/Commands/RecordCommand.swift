import DMARCCore

enum RecordCommand {
    static let command = Command(
        name: "record",
        summary: "Generate a DMARC record (and the records that go with it)",
        usage: """
            Usage: dmarcwatch record generate --domain D --policy none|quarantine|reject
                     [--sp P] [--np P] [--adkim r|s] [--aspf r|s] [--rua URI]... [--ruf URI]...
                     [--fo OPTIONS] [--testing] [--legacy-pct N] [--json]

            Prints the DMARC record to publish (RFC 9989 tags), a line explaining each choice, and
            the _report._dmarc records that report domains outside yours must publish so that
            receivers send them your reports (RFC 9990 §4). Invalid input is refused.

            Options:
              --domain D       the domain the policy is for
              --policy P       p: none (monitor), quarantine or reject
              --sp P           policy for existing subdomains
              --np P           policy for non-existent subdomains
              --adkim r|s      DKIM alignment, relaxed (default) or strict
              --aspf r|s       SPF alignment, relaxed (default) or strict
              --rua URI        aggregate report address (mailto: or https:; repeatable)
              --ruf URI        failure report address (repeatable; most receivers never send them)
              --fo OPTIONS     failure reporting options, e.g. 1 or 1:d
              --testing        t=y: ask receivers to apply one level less than the policy
              --legacy-pct N   also publish RFC 7489 pct=N for receivers that still use it
              --json           {"name", "value", "explanations", "authorization_records": [{"name", "value"}]}

            """,
        options: [
            "--domain", "--policy", "--sp", "--np", "--adkim", "--aspf", "--rua", "--ruf", "--fo", "--legacy-pct",
        ],
        flags: ["--testing", "--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals == ["generate"] else {
            throw UsageError(message: "the only subcommand is 'record generate'")
        }
        guard let domain = args.value("--domain") else { throw UsageError(message: "--domain is required") }
        guard let policy = args.value("--policy") else { throw UsageError(message: "--policy is required") }
        var pct: Int?
        if let text = args.value("--legacy-pct") {
            guard let n = Int(text) else { throw UsageError(message: "--legacy-pct must be a number from 0 to 100") }
            pct = n
        }
        let request = DMARCRecordRequest(
            domain: domain, policy: policy, subdomainPolicy: args.value("--sp"), nonexistentPolicy: args.value("--np"),
            adkim: args.value("--adkim"), aspf: args.value("--aspf"), rua: args.all("--rua"), ruf: args.all("--ruf"),
            failureOptions: args.value("--fo"), testing: args.flag("--testing"), legacyPct: pct)
        let generated: GeneratedDMARCRecord
        do {
            generated = try DMARCRecordGenerator.generate(request)
        } catch {
            throw UsageError(message: error.description)
        }
        if args.flag("--json") {
            let json = JSONValue.object([
                ("name", .string(generated.name)), ("value", .string(generated.value)),
                ("explanations", .array(generated.explanations.map { .string($0) })),
                (
                    "authorization_records",
                    .array(
                        generated.authorizationRecords.map {
                            .object([("name", .string($0.name)), ("value", .string($0.value))])
                        })
                ),
            ])
            Console.out(json.serialized(pretty: true) + "\n")
            return ExitCode.success
        }
        var text = "Publish this TXT record:\n\n  \(generated.name)  TXT  \"\(generated.value)\"\n\nWhy:\n"
        for line in generated.explanations { text += "  - \(line)\n" }
        if !generated.authorizationRecords.isEmpty {
            text += "\nReports go to other domains. Each must publish this record, or receivers drop the reports:\n\n"
            for r in generated.authorizationRecords { text += "  \(r.name)  TXT  \"\(r.value)\"\n" }
        }
        Console.out(text)
        return ExitCode.success
    }
}
