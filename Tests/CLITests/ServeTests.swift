import Foundation
import TestServers
import Testing

/// `serve` as a process: the health probe, 401 elsewhere, mailbox polling, clean stop on SIGTERM.
@Suite("dmarcwatch serve", .serialized)
struct ServeTests {
    let dir: String
    var db: String { "\(dir)/serve.sqlite3" }

    init() throws {
        dir = try CLI.temporaryDirectory()
    }

    /// Starts `serve` on a free port; the process, the port it printed and its first line.
    func start(_ arguments: [String] = [], listen: String = "127.0.0.1:0") throws -> (Process, Int, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["--db", db, "serve", "--listen", listen] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line says where it listens.
        var line = ""
        while !line.contains("\n") {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            line += String(decoding: data, as: UTF8.self)
        }
        // "DMARCWatch listening on http://HOST:PORT/ ; ...": the port follows the last colon of
        // the address (an IPv6 one has colons of its own).
        let url = line.components(separatedBy: "http://").dropFirst().first?.prefix { $0 != "/" } ?? ""
        guard let colon = url.lastIndex(of: ":"), let port = Int(url[url.index(after: colon)...]), port > 0 else {
            kill(process.processIdentifier, SIGKILL)
            throw HTTPTestClient.Failure(description: "serve printed no port: \(line)")
        }
        return (process, port, line)
    }

    @Test("serve stops cleanly on SIGINT (Ctrl-C) too: exit 0, and the port is free again")
    func interrupt() throws {
        let (process, port, _) = try start()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var client = HTTPTestClient(port: port)
        #expect(try client.get("/healthz").status == 200)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(throws: (any Error).self) {
            var gone = HTTPTestClient(port: port)
            _ = try gone.get("/healthz")
        }
    }

    @Test(
        "serve answers /healthz, wants a session or token elsewhere, signs in CLI accounts, polls mailboxes, stops on SIGTERM"
    )
    func serve() throws {
        let report = try Data(
            contentsOf: URL(fileURLWithPath: "\(CLI.fixtures)/corpus/parsedmarc-samples/aggregate/twilight.eml"))
        let server = try IMAPTestServer(messages: [("report", report)])
        try server.password.write(toFile: "\(dir)/pw", atomically: true, encoding: .utf8)
        #expect(
            try CLI.run([
                "--db", db, "mailbox", "add", "--url", server.url, "--user", server.user, "--password-file",
                "\(dir)/pw",
                "--insecure-plaintext", "--done-folder", "Done",
            ]).status == 0)

        try "base_reverse_dns,name,type\nbroadband.test,Broadband Test,ISP\n".write(
            toFile: "\(dir)/map.csv", atomically: true, encoding: .utf8)
        let (process, port, _) = try start(["--poll-interval", "1", "--dns-map", "\(dir)/map.csv"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        var client = HTTPTestClient(port: port)
        let health = try client.get("/healthz")
        #expect(health.status == 200)
        #expect(health.text.contains("ok"))
        let page = try client.get("/")
        #expect(page.status == 303)
        #expect(page.header("location")?.hasPrefix("/signin") == true)
        #expect(try client.get("/api/v1/reports").status == 401)

        // An account made with the CLI signs in to the running server.
        try "a long enough password\n".write(toFile: "\(dir)/userpw", atomically: true, encoding: .utf8)
        #expect(
            try CLI.run(["--db", db, "user", "add", "carol", "--role", "admin", "--password-file", "\(dir)/userpw"])
                .status == 0)
        let form = try client.get("/signin")
        let csrf = try #require(
            form.text.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.prefix(64))
        let signIn = try client.post(
            "/signin", form: [("csrf", String(csrf)), ("name", "carol"), ("password", "a long enough password")])
        #expect(signIn.status == 303)
        #expect(try client.get("/").status == 200)
        let token = try CLI.run(["--db", db, "token", "create", "--user", "carol"])
        #expect(token.status == 0)
        let bearer = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(bearer.hasPrefix("dmw_"))
        #expect(try client.get("/api/v1/reports", headers: [("Authorization", "Bearer \(bearer)")]).status == 200)

        // The poller moves the report to Done within a few intervals.
        var waited = 0.0
        while server.count("Done") < 1 && waited < 15 {
            Thread.sleep(forTimeInterval: 0.2)
            waited += 0.2
        }
        #expect(server.count("Done") == 1)

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let reports = try CLI.run(["--db", db, "reports", "--json"])
        #expect((reports.json as? [Any])?.count == 1)
    }

    @Test("serve listens on IPv6 given in brackets; an IPv6 address without them is a usage error")
    func ipv6() throws {
        let bare = try CLI.run(["--db", db, "serve", "--listen", "::1:8080"])
        #expect(bare.status == 64)
        #expect(bare.stderr.contains("in brackets"))

        // Only where this machine has IPv6 loopback at all.
        let probe = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        var loopback = sockaddr_in6()
        loopback.sin6_family = sa_family_t(AF_INET6)
        loopback.sin6_addr = in6addr_loopback
        let bindable = withUnsafePointer(to: &loopback) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(probe, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
            }
        }
        close(probe)
        guard bindable else { return }

        let (process, port, line) = try start(listen: "[::1]:0")
        #expect(line.contains("http://[::1]:\(port)/"))
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var client = HTTPTestClient(port: port, host: "::1")
        let health = try client.get("/healthz")
        #expect(health.status == 200)
        #expect(health.text.contains("ok"))
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test("serve --dns-map reads parsedmarc's map like 'sources' does; a missing file is a usage error")
    func dnsMap() throws {
        let r = try CLI.run(["--db", db, "serve", "--listen", "127.0.0.1:0", "--dns-map", "\(dir)/missing.csv"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("cannot read \(dir)/missing.csv"))
    }
}
