import DMARCCore
import DMARCStore

#if canImport(Glibc)
    import Glibc
#endif

enum ExportCommand {
    static let command = Command(
        name: "export",
        summary: "Export reports as CSV or JSON with parsedmarc's field names",
        usage: """
            Usage: dmarcwatch export --format csv|json [--domain D]... [--from DAY] [--to DAY] [--output FILE]
                                     [--raw-csv]

            Writes every stored record (CSV: one row per record) or every report (JSON: an array of
            report objects) in parsedmarc's aggregate format, so tools built for parsedmarc read it.
            Dates are UTC, "YYYY-MM-DD HH:MM:SS". Enrichment fields (country, reverse DNS) are empty.
            Values a report leaves out are given as parsedmarc gives them (xml_schema "draft",
            adkim/aspf "r", sp = p, a missing DKIM selector or result "none", envelope_from from
            the SPF domain), and a report spanning over 24 hours is split by day as parsedmarc
            splits it (normalized_timespan); the database keeps what each report said.
            A CSV cell that starts with = + - @, a tab or a carriage return gets a leading ' so a
            spreadsheet shows it as text instead of running it (report fields come from anyone).

            Options:
              --format F   csv or json (required)
              --domain D   only this domain (repeatable)
              --from DAY   first UTC day (YYYY-MM-DD), inclusive
              --to DAY     last UTC day, inclusive
              --output F   write to file F instead of standard output
              --raw-csv    CSV cells exactly as stored, without the leading ' (not for spreadsheets)

            """,
        options: ["--format", "--domain", "--from", "--to", "--output"],
        flags: ["--raw-csv"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else { throw UsageError(message: "unexpected argument \(args.positionals[0])") }
        guard let format = args.value("--format"), format == "csv" || format == "json" else {
            throw UsageError(message: "--format csv or --format json is required")
        }
        let filter = try CommandLineTool.filter(args)
        let store = try context.openStore()
        var fd: Int32 = 1
        if let path = args.value("--output") {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            // Not a usage error: the command was right, the file system said no (exit 1).
            guard fd >= 0 else { throw CommandFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
        }
        defer { if fd != 1 { close(fd) } }
        let out = BufferedOutput(fd: fd)
        try ParsedmarcFormat.export(
            store, filter, csv: format == "csv", rawCells: args.flag("--raw-csv"), write: out.write)
        out.flush()
        return ExitCode.success
    }
}

/// Collects output and writes it in large pieces.
final class BufferedOutput {
    private let fd: Int32
    private var buffer = ""

    init(fd: Int32) { self.fd = fd }

    func write(_ s: String) {
        buffer += s
        if buffer.utf8.count > 1 << 16 { flush() }
    }

    func flush() {
        Console.write(fd, buffer)
        buffer = ""
    }
}
