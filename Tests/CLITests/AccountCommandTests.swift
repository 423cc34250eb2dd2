import Foundation
import Testing

@Suite("dmarcwatch user, token, domain")
struct AccountCommandTests {
    let dir: String
    var db: String { "\(dir)/accounts.sqlite3" }

    init() throws { dir = try CLI.temporaryDirectory() }

    /// Everything SQLite wrote for the database: the main file and, in WAL mode, the write-ahead
    /// log (pages not yet checkpointed live only there).
    func databaseBytes() throws -> Data {
        var out = Data()
        for suffix in ["", "-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: db + suffix) {
            out += try Data(contentsOf: URL(fileURLWithPath: db + suffix))
        }
        return out
    }

    func passwordFile(_ password: String) throws -> String {
        let path = "\(dir)/pw-\(UUID().uuidString)"
        try (password + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("user add/passwd/list: roles, domains, password rules, clear usage errors")
    func users() throws {
        let pw = try passwordFile("long enough secret")
        #expect(try CLI.run(["--db", db, "user", "list"]).stdout.contains("No users"))
        let add = try CLI.run(["--db", db, "user", "add", "alice", "--role", "admin", "--password-file", pw])
        #expect(add.status == 0)
        #expect(!add.stdout.contains("long enough secret"))
        let member = try CLI.run([
            "--db", db, "user", "add", "bob", "--role", "member", "--domain", "Example.COM", "--domain", "example.jp",
            "--password-file", pw,
        ])
        #expect(member.status == 0)
        // Refused, each with a message and exit 64.
        for args in [
            ["user", "add", "carol", "--role", "member", "--password-file", pw],
            ["user", "add", "carol", "--role", "owner", "--password-file", pw],
            ["user", "add", "alice", "--role", "admin", "--password-file", pw],
            ["user", "add", "carol", "--role", "admin", "--password-file", try passwordFile("short")],
            ["user", "add", "bad name", "--role", "admin", "--password-file", pw],
            ["user", "add", "carol", "--role", "member", "--domain", "not a domain", "--password-file", pw],
            ["user", "passwd", "nobody", "--password-file", pw],
        ] {
            let r = try CLI.run(["--db", db] + args)
            #expect(r.status == 64, "\(args)")
            #expect(!r.stderr.isEmpty, "\(args)")
        }
        let list = try CLI.run(["--db", db, "user", "list", "--json"])
        let users = try #require(list.json as? [[String: Any]])
        #expect(users.map { $0["name"] as? String } == ["alice", "bob"])
        #expect(users[1]["domains"] as? [String] == ["example.com", "example.jp"])
        #expect(!list.stdout.contains("$y$"))
        // The hash is yescrypt; the password itself is nowhere in the file.
        let dump = try databaseBytes()
        #expect(dump.range(of: Data("long enough secret".utf8)) == nil)
        #expect(dump.range(of: Data("$y$".utf8)) != nil)
        #expect(
            try CLI.run(["--db", db, "user", "passwd", "bob", "--password-file", try passwordFile("another long one")])
                .status == 0)
        // Without a file or a terminal, the password is the first line of standard input.
        let piped = try CLI.run(
            ["--db", db, "user", "add", "dave", "--role", "admin"], stdin: Data("piped password here\n".utf8))
        #expect(piped.status == 0)
    }

    @Test("token create prints a token once, for an existing user only; domain add/list")
    func tokensAndDomains() throws {
        let pw = try passwordFile("long enough secret")
        #expect(
            try CLI.run(["--db", db, "user", "add", "alice", "--role", "admin", "--password-file", pw]).status == 0)
        let token = try CLI.run(["--db", db, "token", "create", "--user", "alice", "--name", "grafana"])
        #expect(token.status == 0)
        let value = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(value.hasPrefix("dmw_") && value.count == 68)
        let dump = try databaseBytes()
        #expect(dump.range(of: Data(value.utf8)) == nil)
        // What is stored is there to be found: the token's name.
        #expect(dump.range(of: Data("grafana".utf8)) != nil)
        #expect(try CLI.run(["--db", db, "token", "create", "--user", "nobody"]).status == 64)
        #expect(try CLI.run(["--db", db, "domain", "add", "Example.ORG"]).status == 0)
        #expect(try CLI.run(["--db", db, "domain", "add", "-bad-"]).status == 64)
        #expect(try CLI.run(["--db", db, "domain", "list", "--json"]).json as? [String] == ["example.org"])
    }
}
