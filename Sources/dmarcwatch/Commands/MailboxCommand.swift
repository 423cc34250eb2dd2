import DMARCCore
import DMARCIngest
import DMARCNet
import DMARCStore

#if canImport(Glibc)
    import Glibc
#endif

enum MailboxCommand {
    static let command = Command(
        name: "mailbox",
        summary: "Configure the IMAP mailboxes reports arrive in (add, list, remove)",
        usage: """
            Usage: dmarcwatch mailbox add --url imaps://HOST[:PORT]/FOLDER --user U --password-file F
                                     [--done-folder F] [--failed-folder F] [--ca-file PEM]
                                     [--insecure-plaintext]
                   dmarcwatch mailbox list [--json]
                   dmarcwatch mailbox remove ID|URL

            add     stores a mailbox in the database. imaps:// uses TLS; imap:// requires STARTTLS.
                    --insecure-plaintext allows imap:// without TLS, and only to a loopback host (tests).
                    --ca-file trusts the certificate authorities in a PEM file (a private CA)
                    instead of the system's; certificates are always verified.
                    The password is read from the first line of --password-file and never shown.
                    Reports go to --done-folder after import, other mail to --failed-folder; without
                    them, messages stay where they are, flagged as seen.
            list    the mailboxes with their last run and error (no passwords).
            remove  forgets a mailbox (messages on the server are untouched).

            'dmarcwatch fetch' pulls new messages from every mailbox.

            """,
        options: ["--url", "--user", "--password-file", "--done-folder", "--failed-folder", "--ca-file"],
        flags: ["--insecure-plaintext", "--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        switch args.positionals.first {
        case "add":
            guard let url = args.value("--url"), let user = args.value("--user"),
                let file = args.value("--password-file")
            else {
                throw UsageError(message: "mailbox add needs --url, --user and --password-file")
            }
            let endpoint: IMAPEndpoint
            do {
                endpoint = try IMAPEndpoint(url: url, allowPlaintext: args.flag("--insecure-plaintext"))
            } catch {
                throw UsageError(message: "\(error)")
            }
            if let done = args.value("--done-folder"), done == endpoint.folder {
                throw UsageError(message: "--done-folder must differ from the folder fetched")
            }
            if let failed = args.value("--failed-folder"), failed == endpoint.folder {
                throw UsageError(message: "--failed-folder must differ from the folder fetched")
            }
            if let ca = args.value("--ca-file"), !ca.hasPrefix("/") {
                throw UsageError(message: "--ca-file must be an absolute path (serve may run from another directory)")
            }
            let password = try readPassword(file)
            let store = try context.openStore()
            let id = try store.addMailbox(
                url: endpoint.display, username: user, password: password, doneFolder: args.value("--done-folder"),
                failedFolder: args.value("--failed-folder"), allowPlaintext: endpoint.security == .plaintext,
                caFile: args.value("--ca-file"))
            Console.out(
                "Mailbox \(id) added: \(endpoint.display) (user \(user)). Run 'dmarcwatch fetch' to pull reports.\n")
            return ExitCode.success
        case "list":
            let boxes = try context.openStore().mailboxes()
            if args.flag("--json") {
                let json = JSONValue.array(
                    boxes.map { b in
                        .object([
                            ("id", .int(b.id)), ("url", .string(b.url)), ("user", .string(b.username)),
                            ("done_folder", .optional(b.doneFolder)), ("failed_folder", .optional(b.failedFolder)),
                            ("last_run", .optional(b.lastRunAt.map { DayMath.isoDateTime($0) + "Z" })),
                            ("last_error", .optional(b.lastError)), ("last_fetched", .int(b.lastFetched)),
                        ])
                    })
                Console.out(json.serialized(pretty: true) + "\n")
                return ExitCode.success
            }
            if boxes.isEmpty { Console.out("No mailboxes. Add one with 'dmarcwatch mailbox add'.\n") }
            for b in boxes {
                var line = "\(b.id)  \(b.url)  user \(b.username)"
                if let d = b.doneFolder { line += "  done→\(d)" }
                if let f = b.failedFolder { line += "  failed→\(f)" }
                line +=
                    b.lastRunAt.map { "  last run \(DayMath.isoDateTime($0))Z, \(b.lastFetched) fetched" }
                    ?? "  never run"
                if let e = b.lastError { line += "\n     last error: \(e)" }
                Console.out(sanitized(line) + "\n")
            }
            return ExitCode.success
        case "remove":
            guard args.positionals.count == 2 else { throw UsageError(message: "mailbox remove needs an ID or URL") }
            let target = args.positionals[1]
            let key =
                Int64(target) != nil
                ? target : ((try? IMAPEndpoint(url: target, allowPlaintext: true).display) ?? target)
            guard try context.openStore().removeMailbox(key) else {
                Console.err("dmarcwatch mailbox: no mailbox \(args.positionals[1])\n")
                return ExitCode.someInputFailed
            }
            Console.out("Mailbox removed.\n")
            return ExitCode.success
        default:
            throw UsageError(message: "use 'mailbox add', 'mailbox list' or 'mailbox remove'")
        }
    }

    /// The first line of the file, without its line break.
    static func readPassword(_ path: String) throws -> String {
        let bytes: [UInt8]
        do {
            bytes = try FileStream(path: path).readAll(limit: 4096, what: "the password file")
        } catch {
            throw UsageError(message: "cannot read the password file \(path)")
        }
        let line = bytes.prefix { $0 != 0x0A && $0 != 0x0D }
        guard !line.isEmpty else { throw UsageError(message: "the password file \(path) is empty") }
        return String(decoding: line, as: UTF8.self)
    }
}

enum FetchCommand {
    static let command = Command(
        name: "fetch",
        summary: "Pull new messages from every configured IMAP mailbox now",
        usage: """
            Usage: dmarcwatch fetch [--every SECONDS] [--json]

            For each mailbox ('dmarcwatch mailbox add'): every message not handled before (by UID)
            is downloaded, its raw bytes stored and its reports imported; only after that is
            committed is it moved to the done (or failed) folder, or flagged as seen. A run that is
            interrupted resumes where it stopped. A mailbox that cannot be reached gives one line
            naming it; the other mailboxes are still fetched.

            --every SECONDS keeps fetching at that interval until stopped (until 'serve' does the
            polling); each run prints its line.

            Exit codes: 0 all mailboxes fetched, 1 some mailbox or message failed, 64 bad usage.

            """,
        options: ["--every"],
        flags: ["--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else { throw UsageError(message: "fetch takes no arguments") }
        if let every = args.value("--every") {
            guard let seconds = UInt32(every), seconds >= 10 else {
                throw UsageError(message: "--every takes a number of seconds, at least 10")
            }
            while true {
                do {
                    _ = try once(args, context)
                } catch {
                    Console.err("dmarcwatch fetch: \(error); trying again in \(seconds) s\n")
                }
                sleep(seconds)
            }
        }
        return try once(args, context)
    }

    static func once(_ args: Arguments, _ context: Context) throws -> Int32 {
        let store = try context.openStore()
        let importer = Importer(store: store, limits: context.limits)
        let fetcher = MailboxFetcher(store: store, importer: importer)
        var runs: [MailboxRun] = []
        for mailbox in try store.mailboxes() {
            runs.append(fetcher.run(mailbox))
        }
        if args.flag("--json") {
            let json = JSONValue.object([
                (
                    "mailboxes",
                    .array(
                        runs.map { r in
                            .object([
                                ("mailbox", .string(r.mailbox)), ("fetched", .int(r.fetched)),
                                ("reports", .int(r.reports)),
                                ("not_reports", .int(r.notReports)), ("failed", .int(r.failed)),
                                ("errors", .array(r.errors.map { .string($0) })),
                            ])
                        })
                ),
                ("import", ImportCommand.json(importer.summary)),
            ])
            Console.out(json.serialized(pretty: true) + "\n")
        } else {
            if runs.isEmpty { Console.out("No mailboxes configured ('dmarcwatch mailbox add').\n") }
            for r in runs {
                Console.out(
                    sanitized(
                        "\(r.mailbox): \(r.fetched) fetched, \(r.reports) with reports, \(r.notReports) not reports, \(r.failed) failed\n"
                    ))
                for e in r.errors { Console.err(sanitized("dmarcwatch fetch: \(e)") + "\n") }
            }
        }
        return runs.contains { !$0.errors.isEmpty || $0.failed > 0 } ? ExitCode.someInputFailed : ExitCode.success
    }
}
