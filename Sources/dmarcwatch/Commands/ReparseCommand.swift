import DMARCIngest
import DMARCStore

enum ReparseCommand {
    static let command = Command(
        name: "reparse",
        summary: "Parse again the stored documents that failed (after an upgrade or a fix)",
        usage: """
            Usage: dmarcwatch reparse [--json]

            Runs the parser again over every stored raw document whose import failed or was
            interrupted. Reports that parse now are stored; the others keep their error.

            Options:
              --json    print the totals in the shape of 'import --json'

            Exit codes: 0 every document parsed, 1 some still fail, 64 bad usage.

            """,
        options: [],
        flags: ["--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else { throw UsageError(message: "reparse takes no arguments") }
        let store = try context.openStore()
        let importer = Importer(store: store, limits: context.limits)
        let summary = try importer.reparse()
        if args.flag("--json") {
            Console.out(ImportCommand.json(summary).serialized(pretty: true) + "\n")
        } else {
            Console.out(ImportCommand.human(summary))
        }
        return summary.failed > 0 ? ExitCode.someInputFailed : ExitCode.success
    }
}
