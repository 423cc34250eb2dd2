import DMARCCore
import DMARCIngest
import DMARCStore

enum ImportCommand {
    static let command = Command(
        name: "import",
        summary: "Import report files, directories, mbox files, Maildir folders or stdin",
        usage: """
            Usage: dmarcwatch import [--json] PATH...

            Imports DMARC aggregate reports. Each PATH is a file (.xml, .gz, .zip, .eml, .json; the
            content decides, not the name), a directory (read recursively; a Maildir's cur/ and new/),
            an mbox file, or - for standard input. Raw bytes are stored before parsing; importing the
            same input again changes nothing. Failure (ruf) reports are recognised and not stored.
            SMTP TLS (RFC 8460) JSON reports, plain or gzip, alone or in mail, are imported too.

            Options:
              --json    print the totals as JSON:
                        {"documents", "imported", "duplicates", "failed", "ignored", "reports",
                         "tls_reports", "records", "messages", "failures": [{"source", "error"}],
                         "failed_earlier": [{"source", "error"}]}

            A duplicate of an input that an earlier import stored but could not read is listed under
            failed_earlier with the error of then; 'dmarcwatch reparse' retries those.

            Exit codes: 0 all inputs imported or already stored, 1 some input failed (the rest was
            imported), 64 bad usage.

            """,
        options: [],
        flags: ["--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard !args.positionals.isEmpty else { throw UsageError(message: "give at least one PATH (or - for stdin)") }
        let store = try context.openStore()
        let importer = Importer(store: store, limits: context.limits)
        let progress = ProgressLine(enabled: Console.stderrIsTerminal)
        importer.onProgress = { progress.show($0) }
        let summary = importer.importPaths(args.positionals)
        progress.finish()
        if Console.environment("DMARCWATCH_TIMING") != nil {
            Console.err("timing: raw store \(importer.timing.raw) s, parse+store \(importer.timing.parse) s\n")
        }
        if args.flag("--json") {
            Console.out(json(summary).serialized(pretty: true) + "\n")
        } else {
            Console.out(human(summary))
        }
        return summary.failed > 0 ? ExitCode.someInputFailed : ExitCode.success
    }

    static func json(_ s: ImportSummary) -> JSONValue {
        .object([
            ("documents", .int(s.documents)), ("imported", .int(s.imported)), ("duplicates", .int(s.duplicates)),
            ("failed", .int(s.failed)), ("ignored", .int(s.ignored)), ("reports", .int(s.reports)),
            ("tls_reports", .int(s.tlsReports)),
            ("records", .int(s.records)), ("messages", .int(s.messages)),
            ("failures", list(s.failures)), ("failed_earlier", list(s.failedEarlier)),
        ])
    }

    static func list(_ failures: [ImportFailure]) -> JSONValue {
        .array(failures.map { .object([("source", .string($0.source)), ("error", .string($0.error))]) })
    }

    static func human(_ s: ImportSummary) -> String {
        var text =
            "\(grouped(s.documents)) document(s): \(grouped(s.imported)) imported, \(grouped(s.duplicates)) duplicate, "
        text += "\(grouped(s.failed)) failed, \(grouped(s.ignored)) ignored\n"
        text += "\(grouped(s.reports)) new report(s), \(grouped(s.records)) records, \(grouped(s.messages)) messages"
        text += s.tlsReports > 0 ? "; \(grouped(s.tlsReports)) new TLS report(s)\n" : "\n"
        if !s.failures.isEmpty {
            text += "Failed:\n"
            for f in s.failures { text += "  \(f.source): \(f.error)\n" }
        }
        if !s.failedEarlier.isEmpty {
            text += "Stored earlier but not read then ('dmarcwatch reparse' retries them):\n"
            for f in s.failedEarlier { text += "  \(f.source): \(f.error)\n" }
        }
        return text
    }
}

/// A one-line progress display on stderr, redrawn at most four times a second, only on a terminal.
final class ProgressLine {
    private let enabled: Bool
    private let start = Console.now()
    private var last = 0.0
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ s: ImportSummary) {
        guard enabled else { return }
        let now = Console.now()
        guard now - last >= 0.25 else { return }
        last = now
        let elapsed = max(now - start, 0.001)
        let rate = Int64(Double(s.records) / elapsed)
        Console.err(
            "\r\u{1B}[K\(grouped(s.documents)) files, \(grouped(s.reports)) reports, \(grouped(s.records)) records (\(grouped(rate)) records/s)"
        )
        shown = true
    }

    func finish() {
        if shown { Console.err("\r\u{1B}[K") }
    }
}
