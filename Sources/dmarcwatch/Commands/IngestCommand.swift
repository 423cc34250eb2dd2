import DMARCIngest
import DMARCStore

enum IngestCommand {
    static let command = Command(
        name: "ingest",
        summary: "Read one message from standard input (for Postfix, Exim or Sendmail pipes)",
        usage: """
            Usage: dmarcwatch [--db PATH] ingest [--json]

            Reads one mail message (or a report file) from standard input, stores its raw bytes,
            then imports the reports in it, as 'import -' does. Meant for the pipe transport of
            an MTA delivering the rua address: see docs/mta.md.

            Exit codes (what the MTA acts on):
              0    the message is stored, whether or not it held a report (a bad report is kept
                   with its error; 'dmarcwatch reparse' retries it)
              75   EX_TEMPFAIL: it could not be stored (database missing, not writable, full);
                   the MTA keeps the message and retries later
              64   bad usage

            """,
        options: [],
        flags: ["--json"],
        run: run
    )

    static let tempFail: Int32 = 75

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else {
            throw UsageError(message: "ingest reads standard input and takes no PATH")
        }
        let store: ReportStore
        do {
            store = try context.openStore()
        } catch {
            Console.err(
                "dmarcwatch ingest: cannot open the database \(context.databasePath): \(error); the MTA should retry\n")
            return tempFail
        }
        let importer = Importer(store: store, limits: context.limits)
        let stored = importer.ingestStandardInput()
        let summary = importer.summary
        if args.flag("--json") {
            Console.out(ImportCommand.json(summary).serialized(pretty: true) + "\n")
        }
        for f in summary.failures { Console.err("dmarcwatch ingest: \(f.source): \(f.error)\n") }
        return stored ? ExitCode.success : tempFail
    }
}
