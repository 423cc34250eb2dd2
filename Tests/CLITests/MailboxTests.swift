import Foundation
import TestServers
import Testing

@Suite("IMAP mailboxes against dovecot on loopback", .serialized)
struct MailboxTests {
    let dir: String
    var db: String { "\(dir)/mail.sqlite3" }

    init() throws {
        dir = try CLI.temporaryDirectory()
    }

    static func corpus(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: "\(CLI.fixtures)/corpus/\(path)"))
    }

    /// Report mail of the corpus, TLS-RPT mail, a failure report and ordinary mail.
    static func messages() throws -> [(String, Data)] {
        var list: [(String, Data)] = []
        for name in [
            "Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml",
            "mimecast-weird-gzip.eml",
            "twilight.eml",
        ] {
            list.append(("report", try corpus("parsedmarc-samples/aggregate/\(name)")))
        }
        list.append(("tls", try corpus("parsedmarc-samples/smtp_tls/google.com_smtp_tls_report.eml")))
        list.append(
            (
                "ruf",
                try corpus(
                    "parsedmarc-samples/failure/DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml"
                )
            ))
        list.append(("mail", Data("From: colleague@example.com\r\nSubject: lunch?\r\n\r\nNoon?\r\n".utf8)))
        return list
    }

    func addMailbox(_ server: IMAPTestServer, url: String? = nil, password: String? = nil, folders: Bool = true) throws
        -> CLI.Result
    {
        let pw = "\(dir)/pw"
        try (password ?? server.password).write(toFile: pw, atomically: true, encoding: .utf8)
        var args = [
            "--db", db, "mailbox", "add", "--url", url ?? server.url, "--user", server.user, "--password-file", pw,
            "--insecure-plaintext",
        ]
        if folders { args += ["--done-folder", "Done", "--failed-folder", "Failed"] }
        return try CLI.run(args)
    }

    @Test("fetch imports every report, files the messages, and finds nothing new the second time")
    func fetchTwice() throws {
        let server = try IMAPTestServer(messages: try Self.messages())
        #expect(try addMailbox(server).status == 0)
        let first = try CLI.run(["--db", db, "fetch", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let json = try #require(first.json as? [String: Any])
        let box = try #require((json["mailboxes"] as? [[String: Any]])?.first)
        #expect(box["fetched"] as? Int == 6)
        #expect(box["reports"] as? Int == 4)
        #expect(box["not_reports"] as? Int == 2)
        let imported = try #require(json["import"] as? [String: Any])
        #expect(imported["reports"] as? Int == 3)
        #expect(imported["tls_reports"] as? Int == 1)
        #expect(server.count("") == 0)
        #expect(server.count("Done") == 4)
        #expect(server.count("Failed") == 2)
        let second = try CLI.run(["--db", db, "fetch", "--json"])
        let again = try #require(((second.json as? [String: Any])?["mailboxes"] as? [[String: Any]])?.first)
        #expect(again["fetched"] as? Int == 0)
        let reports = try CLI.run(["--db", db, "reports", "--json"])
        #expect((reports.json as? [Any])?.count == 3)
    }

    @Test("Without folders, messages stay and are flagged seen; the second run fetches nothing")
    func flagSeen() throws {
        let server = try IMAPTestServer(messages: Array(try Self.messages().prefix(2)))
        #expect(try addMailbox(server, folders: false).status == 0)
        #expect(try CLI.run(["--db", db, "fetch"]).status == 0)
        #expect(server.count("") == 2)
        let second = try CLI.run(["--db", db, "fetch", "--json"])
        #expect((((second.json as? [String: Any])?["mailboxes"] as? [[String: Any]])?.first?["fetched"]) as? Int == 0)
    }

    @Test("A fetch killed part-way and run again: every report stored once, nothing lost")
    func killedAndResumed() throws {
        var messages: [(String, Data)] = []
        for _ in 0..<4 { messages += try Self.messages().prefix(3) }  // the same reports, four times over
        let server = try IMAPTestServer(messages: messages)
        #expect(try addMailbox(server).status == 0)
        for delay in [0.05, 0.15, 0.3] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["--db", db, "fetch"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        let last = try CLI.run(["--db", db, "fetch"])
        #expect(last.status == 0, "\(last.stderr)")
        #expect(server.count("") == 0)
        #expect(server.count("Done") == 12)
        let reports = try CLI.run(["--db", db, "reports", "--json"])
        #expect((reports.json as? [Any])?.count == 3)
    }

    @Test("Wrong password, unreachable host, missing folder: one clear line naming the mailbox, no password")
    func errors() throws {
        let server = try IMAPTestServer(messages: [])
        #expect(try addMailbox(server, password: "wrong-password").status == 0)
        let deadPort = IMAPTestServer.freeTCPPort()
        #expect(try addMailbox(server, url: "imap://127.0.0.1:\(deadPort)/INBOX").status == 0)
        #expect(try addMailbox(server, url: "imap://127.0.0.1:\(server.port)/NoSuchFolder").status == 0)
        let r = try CLI.run(["--db", db, "fetch"])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 3, "\(r.stderr)")
        #expect(lines.contains { $0.contains("login denied") && $0.contains("127.0.0.1:\(server.port)/INBOX") })
        #expect(lines.contains { $0.contains("cannot connect") && $0.contains(":\(deadPort)/INBOX") })
        #expect(lines.contains { $0.contains("NoSuchFolder does not exist") })
        let list = try CLI.run(["--db", db, "mailbox", "list"])
        for output in [r.stdout, r.stderr, list.stdout, list.stderr] {
            #expect(!output.contains("wrong-password"))
            #expect(!output.contains(server.password))
        }
        #expect(list.stdout.contains("last error"))
    }

    @Test("mailbox add refuses plain text to a remote host and bad URLs; remove forgets")
    func addAndRemove() throws {
        try "pw".write(toFile: "\(dir)/pw", atomically: true, encoding: .utf8)
        let remote = try CLI.run([
            "--db", db, "mailbox", "add", "--url", "imap://mail.example.com/INBOX", "--user", "u",
            "--password-file", "\(dir)/pw", "--insecure-plaintext",
        ])
        #expect(remote.status == 64)
        let bad = try CLI.run([
            "--db", db, "mailbox", "add", "--url", "pop3://x/INBOX", "--user", "u", "--password-file", "\(dir)/pw",
        ])
        #expect(bad.status == 64)
        let withSecret = try CLI.run([
            "--db", db, "mailbox", "add", "--url", "imaps://rua:hunter2@mail.example.com:99999/DMARC", "--user", "u",
            "--password-file", "\(dir)/pw",
        ])
        #expect(withSecret.status == 64)
        #expect(!withSecret.stderr.contains("hunter2"))
        let sameFolder = try CLI.run([
            "--db", db, "mailbox", "add", "--url", "imaps://mail.example.com/DMARC", "--user", "u", "--password-file",
            "\(dir)/pw", "--done-folder", "DMARC",
        ])
        #expect(sameFolder.status == 64)
        #expect(
            try CLI.run([
                "--db", db, "mailbox", "add", "--url", "imaps://mail.example.com/Reports", "--user", "u",
                "--password-file", "\(dir)/pw",
            ]).status == 0)
        let list = try CLI.run(["--db", db, "mailbox", "list", "--json"])
        #expect((list.json as? [[String: Any]])?.first?["url"] as? String == "imaps://mail.example.com:993/Reports")
        // Removed by the URL as typed (normalised like add does).
        #expect(try CLI.run(["--db", db, "mailbox", "remove", "imaps://mail.example.com/Reports"]).status == 0)
        #expect(try CLI.run(["--db", db, "mailbox", "remove", "1"]).status == 1)
    }

    @Test("STARTTLS and implicit TLS with a private CA; an untrusted certificate is refused")
    func tls() throws {
        let server = try IMAPTestServer(messages: Array(try Self.messages().prefix(1)), tls: true)
        try server.password.write(toFile: "\(dir)/pw", atomically: true, encoding: .utf8)
        let common = ["--user", server.user, "--password-file", "\(dir)/pw"]
        // No CA file: the self-signed certificate is not trusted, and nothing is sent in clear.
        #expect(
            try CLI.run(["--db", db, "mailbox", "add", "--url", "imap://127.0.0.1:\(server.port)/INBOX"] + common)
                .status == 0)
        let refused = try CLI.run(["--db", db, "fetch"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("TLS"), "\(refused.stderr)")
        #expect(try CLI.run(["--db", db, "mailbox", "remove", "1"]).status == 0)
        // STARTTLS with the CA file.
        #expect(
            try CLI.run(
                [
                    "--db", db, "mailbox", "add", "--url", "imap://127.0.0.1:\(server.port)/INBOX", "--ca-file",
                    server.certificate,
                    "--done-folder", "Done",
                ] + common
            ).status == 0)
        let starttls = try CLI.run(["--db", db, "fetch", "--json"])
        #expect(starttls.status == 0, "\(starttls.stderr)")
        #expect(server.count("Done") == 1)
        // Implicit TLS (imaps) with the CA file: nothing new to fetch, but login and folder work.
        #expect(
            try CLI.run(
                [
                    "--db", db, "mailbox", "add", "--url", "imaps://127.0.0.1:\(server.tlsPort)/Done", "--ca-file",
                    server.certificate,
                ]
                    + common
            ).status == 0)
        let imaps = try CLI.run(["--db", db, "fetch"])
        #expect(imaps.status == 0, "\(imaps.stderr)")
    }
}
