import DMARCCore
import DMARCIngest
import DMARCStore

#if canImport(Glibc)
    import Glibc
#endif

/// A subcommand: its name, one-line summary, help text and body.
struct Command: Sendable {
    let name: String
    let summary: String
    let usage: String
    let options: Set<String>
    let flags: Set<String>
    let run: @Sendable (Arguments, Context) throws -> Int32
}

/// What every command gets: the database path chosen by `--db`, `$DMARCWATCH_DB` or the default.
struct Context {
    let databasePath: String
    /// The bounds on untrusted input, from the DMARCWATCH_MAX_* environment settings.
    var limits = IngestLimits()

    func openStore() throws -> ReportStore { try ReportStore(path: databasePath) }
}

enum ExitCode {
    static let success: Int32 = 0
    static let someInputFailed: Int32 = 1
    static let usage: Int32 = 64
}

enum CommandLineTool {
    static let version = "0.1.0"

    static let commands: [Command] = [
        ImportCommand.command, SummaryCommand.command, ReportsCommand.command, ExportCommand.command,
        ReparseCommand.command, IngestCommand.command, MailboxCommand.command, FetchCommand.command,
        ServeCommand.command,
        TLSReportsCommand.command, EnrichCommand.command, CheckCommand.command,
        RecordCommand.command, UserCommand.command, TokenCommand.command, DomainCommand.command,
        SourcesCommand.command, ReadinessCommand.command,
    ]

    static var mainHelp: String {
        var text = """
            dmarcwatch \(version) — a self-hosted DMARC monitor.

            Usage: dmarcwatch [--db PATH] COMMAND [OPTIONS]

            The database is PATH, else $DMARCWATCH_DB, else ./dmarcwatch.sqlite3.

            Commands:

            """
        for c in commands {
            text += "  " + c.name.padding(to: 10) + c.summary + "\n"
        }
        text += "\nRun 'dmarcwatch COMMAND --help' for a command's options.\n"
        text += "Exit codes: 0 success, 1 some input failed (the rest was processed), 64 bad usage.\n"
        text += "\nLimits on untrusted input (environment; sizes in bytes or with KiB, MiB, GiB):\n"
        text += IngestLimits.settingsHelp + "\n"
        return text
    }

    static func run(_ args: [String]) -> Int32 {
        // The database holds mailbox passwords and report data: files created are private.
        umask(0o077)
        var args = args
        var dbPath = Console.environment("DMARCWATCH_DB") ?? "./dmarcwatch.sqlite3"
        while let first = args.first, first.hasPrefix("-") {
            if first == "--help" || first == "-h" {
                Console.out(mainHelp)
                return ExitCode.success
            }
            if first == "--version" {
                Console.out("dmarcwatch \(version)\n")
                return ExitCode.success
            }
            if first == "--db" {
                guard args.count >= 2 else {
                    Console.err("dmarcwatch: --db needs a value (the database file)\n")
                    return ExitCode.usage
                }
                dbPath = args[1]
                args.removeFirst(2)
            } else if first.hasPrefix("--db=") {
                dbPath = String(first.dropFirst(5))
                args.removeFirst()
            } else {
                Console.err("dmarcwatch: unknown option \(first)\n\(mainHelp)")
                return ExitCode.usage
            }
        }
        guard let name = args.first else {
            Console.err(mainHelp)
            return ExitCode.usage
        }
        if name == "help" {
            if args.count > 1, let c = commands.first(where: { $0.name == args[1] }) {
                Console.out(c.usage)
            } else {
                Console.out(mainHelp)
            }
            return ExitCode.success
        }
        guard let command = commands.first(where: { $0.name == name }) else {
            Console.err("dmarcwatch: unknown command '\(name)'\n\n\(mainHelp)")
            return ExitCode.usage
        }
        let rest = Array(args.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            Console.out(command.usage)
            return ExitCode.success
        }
        do {
            let parsed = try Arguments(rest, options: command.options, flags: command.flags)
            let limits: IngestLimits
            do { limits = try IngestLimits(settings: Console.environment) } catch {
                throw UsageError(message: "\(error)")
            }
            return try command.run(parsed, Context(databasePath: dbPath, limits: limits))
        } catch let error as UsageError {
            Console.err("dmarcwatch \(name): \(error.message)\nRun 'dmarcwatch \(name) --help' for usage.\n")
            return ExitCode.usage
        } catch {
            Console.err("dmarcwatch \(name): \(error)\n")
            return ExitCode.someInputFailed
        }
    }

    /// Parses `--from`/`--to` (YYYY-MM-DD) and `--domain` into a filter.
    static func filter(_ args: Arguments) throws -> ReportFilter {
        var filter = ReportFilter()
        let domains = args.all("--domain").map { $0.lowercased() }
        if !domains.isEmpty { filter.domains = domains }
        if let from = args.value("--from") {
            guard let day = DayMath.day(fromISO: from) else {
                throw UsageError(message: "--from must be a date YYYY-MM-DD")
            }
            filter.fromDay = day
        }
        if let to = args.value("--to") {
            guard let day = DayMath.day(fromISO: to) else {
                throw UsageError(message: "--to must be a date YYYY-MM-DD")
            }
            filter.toDay = day
        }
        if let f = filter.fromDay, let t = filter.toDay, f > t { throw UsageError(message: "--from is after --to") }
        return filter
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
