import DMARCCore
import DMARCStore
import DMARCWeb

#if canImport(Glibc)
    import Glibc
#endif

enum UserCommand {
    static let command = Command(
        name: "user",
        summary: "Web accounts: add, passwd, list",
        usage: """
            Usage: dmarcwatch user add NAME --role admin|member [--domain D]... [--password-file F]
                   dmarcwatch user passwd NAME [--password-file F]
                   dmarcwatch user list [--json]

            add     makes an account for the web UI and API. An admin sees and manages everything;
                    a member sees only the domains given with --domain, everywhere.
            passwd  sets a new password and signs the user out of every session.
            list    the accounts, their roles and domains.

            The password is read from the first line of --password-file, else asked for on the
            terminal (not echoed), else read from the first line of standard input. It must be
            at least \(PasswordHasher.minimumLength) characters; it is stored as a yescrypt hash.

            """,
        options: ["--role", "--domain", "--password-file"],
        flags: ["--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        let p = args.positionals
        switch (p.first, p.count) {
        case ("add", 2):
            guard let roleText = args.value("--role"), let role = UserAccount.Role(rawValue: roleText) else {
                throw UsageError(message: "user add needs --role admin or --role member")
            }
            let name = p[1]
            try validateName(name)
            let domains = try args.all("--domain").map { try validDomain($0) }
            if role == .member && domains.isEmpty {
                throw UsageError(message: "a member needs at least one --domain")
            }
            let hash = try hashedPassword(args)
            let store = try context.openStore()
            do {
                try store.addUser(name: name, passwordHash: hash, role: role, domains: domains)
            } catch let error as AccountError {
                throw UsageError(message: error.description)
            }
            try store.audit(user: nil, action: "user.add", detail: "\(name) (\(role.rawValue))")
            Console.out(
                "User \(name) added (\(role.rawValue)\(domains.isEmpty ? "" : ": " + domains.joined(separator: ", "))).\n"
            )
            return ExitCode.success
        case ("passwd", 2):
            let hash = try hashedPassword(args)
            let store = try context.openStore()
            do {
                try store.setPassword(name: p[1], passwordHash: hash)
            } catch let error as AccountError {
                throw UsageError(message: error.description)
            }
            try store.audit(user: nil, action: "user.passwd", detail: p[1])
            Console.out("Password of \(p[1]) changed; their sessions are signed out.\n")
            return ExitCode.success
        case ("list", 1):
            let users = try context.openStore().users()
            if args.flag("--json") {
                let json = JSONValue.array(
                    users.map { u in
                        .object([
                            ("name", .string(u.name)), ("role", .string(u.role.rawValue)),
                            ("domains", .array(u.domains.map { .string($0) })), ("language", .optional(u.language)),
                        ])
                    })
                Console.out(json.serialized(pretty: true) + "\n")
            } else if users.isEmpty {
                Console.out("No users. Add the first administrator with 'dmarcwatch user add NAME --role admin'.\n")
            } else {
                for u in users {
                    let domains = u.role == .admin ? "all domains" : u.domains.joined(separator: ", ")
                    Console.out(
                        sanitized("\(u.name.padding(to: 20))\(u.role.rawValue.padding(to: 8))\(domains)") + "\n")
                }
            }
            return ExitCode.success
        default:
            throw UsageError(message: "expected 'user add NAME', 'user passwd NAME' or 'user list'")
        }
    }

    static func validateName(_ name: String) throws {
        let ok =
            name.utf8.count <= 64 && !name.isEmpty
            && name.unicodeScalars.allSatisfy {
                $0.properties.isAlphabetic || $0.properties.numericType != nil || "._@-".unicodeScalars.contains($0)
            }
        guard ok else {
            throw UsageError(message: "a user name is 1–64 letters, digits and . _ @ -")
        }
    }

    static func validDomain(_ text: String) throws -> String {
        let d = DomainName.normalized(text)
        guard DomainName.isValidHostName(d) else { throw UsageError(message: "'\(text)' is not a domain name") }
        return d
    }

    static func hashedPassword(_ args: Arguments) throws -> String {
        let password: String
        if let file = args.value("--password-file") {
            password = try MailboxCommand.readPassword(file)
        } else {
            password = try promptPassword()
        }
        do {
            return try PasswordHasher.hash(password)
        } catch {
            throw UsageError(message: "\(error)")
        }
    }

    /// Asks twice on the terminal with echo off; without a terminal, reads one line of stdin.
    static func promptPassword() throws -> String {
        guard isatty(0) == 1 else {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw UsageError(message: "no password given (use --password-file, a terminal, or standard input)")
            }
            return line
        }
        var saved = termios()
        tcgetattr(0, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSANOW, &quiet)
        defer { tcsetattr(0, TCSANOW, &saved) }
        Console.err("Password: ")
        let first = readLine(strippingNewline: true) ?? ""
        Console.err("\nAgain: ")
        let second = readLine(strippingNewline: true) ?? ""
        Console.err("\n")
        guard first == second else { throw UsageError(message: "the passwords differ") }
        return first
    }
}

enum TokenCommand {
    static let command = Command(
        name: "token",
        summary: "API tokens: create, revoke",
        usage: """
            Usage: dmarcwatch token create --user NAME [--name LABEL]
                   dmarcwatch token revoke --user NAME

            create  prints a new API token for NAME once; the database keeps only its SHA-256. Send
                    it as 'Authorization: Bearer TOKEN' to /api/v1/. The token sees what its user
                    sees.
            revoke  revokes every token of NAME ('user passwd' does too).

            """,
        options: ["--user", "--name"],
        flags: [],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals == ["create"] || args.positionals == ["revoke"] else {
            throw UsageError(message: "expected 'token create' or 'token revoke'")
        }
        guard let user = args.value("--user") else { throw UsageError(message: "token needs --user") }
        let store = try context.openStore()
        if args.positionals == ["revoke"] {
            do {
                let n = try store.revokeAPITokens(userName: user)
                try store.audit(user: user, action: "token.revoke", detail: "\(n)")
                Console.out("\(n) token(s) of \(user) revoked.\n")
                return ExitCode.success
            } catch let error as AccountError {
                throw UsageError(message: error.description)
            }
        }
        let token = APIToken.make()
        do {
            try store.createAPIToken(
                tokenHash: SecretToken.digest(token), userName: user, name: args.value("--name") ?? "api")
        } catch let error as AccountError {
            throw UsageError(message: error.description)
        }
        try store.audit(user: user, action: "token.create", detail: args.value("--name"))
        Console.out(token + "\n")
        return ExitCode.success
    }
}

enum DomainCommand {
    static let command = Command(
        name: "domain",
        summary: "Registered domains: add, list",
        usage: """
            Usage: dmarcwatch domain add DOMAIN
                   dmarcwatch domain list [--json]

            add   registers a domain, so it shows on the dashboard before its first report.
            list  registered domains and domains with reports.

            """,
        options: [],
        flags: ["--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        let p = args.positionals
        let store = try context.openStore()
        switch (p.first, p.count) {
        case ("add", 2):
            let d = try UserCommand.validDomain(p[1])
            try store.registerDomain(d, dmarcRecord: nil)
            Console.out("Domain \(d) registered.\n")
            return ExitCode.success
        case ("list", 1):
            let domains = try store.knownDomains(visible: nil)
            if args.flag("--json") {
                Console.out(JSONValue.array(domains.map { .string($0) }).serialized(pretty: true) + "\n")
            } else {
                for d in domains { Console.out(sanitized(d) + "\n") }
            }
            return ExitCode.success
        default:
            throw UsageError(message: "expected 'domain add DOMAIN' or 'domain list'")
        }
    }
}
