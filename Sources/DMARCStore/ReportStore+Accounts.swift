import DMARCCore

/// A person who can sign in.
public struct UserAccount: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        case admin, member
    }

    public var id: Int64
    public var name: String
    public var role: Role
    /// The UI language chosen by the user (`en`, `ja`), or nil to follow the browser.
    public var language: String?
    /// The domains a member may see; admins see every domain whatever this holds.
    public var domains: [String]

    /// The domains this account may see: nil for all (admin).
    public var visibleDomains: [String]? { role == .admin ? nil : domains }

    public func canSee(domain: String) -> Bool {
        role == .admin || domains.contains(domain.lowercased())
    }
}

/// A signed-in browser session.
public struct SessionInfo: Sendable {
    public var user: UserAccount
    public var csrfToken: String
    public var expiresAt: Int64
}

public struct AccountError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One line of the audit log.
public struct AuditEntry: Sendable, Equatable {
    public var at: Int64
    public var user: String?
    public var action: String
    public var detail: String?
}

/// A domain registered by an administrator.
public struct RegisteredDomain: Sendable, Equatable {
    public var name: String
    public var createdAt: Int64
    public var dmarcRecord: String?
}

extension ReportStore {
    /// Sessions end after this much idle time, and in any case after `sessionLifetime`.
    public static let sessionIdle: Int64 = 12 * 3600
    public static let sessionLifetime: Int64 = 7 * 86_400

    // MARK: Users

    @discardableResult
    public func addUser(name: String, passwordHash: String, role: UserAccount.Role, domains: [String]) throws
        -> UserAccount
    {
        try db.transaction {
            if try db.prepare("SELECT id FROM users WHERE name = ?").scalar([.text(name)]) != nil {
                throw AccountError("a user named '\(name)' exists already")
            }
            let now = Self.now()
            try db.prepare(
                "INSERT INTO users (name, password_hash, role, created_at, password_changed_at) VALUES (?,?,?,?,?)"
            ).run([.text(name), .text(passwordHash), .text(role.rawValue), .integer(now), .integer(now)])
            let id = db.lastInsertRowID
            try setMemberships(userID: id, domains: domains)
            return UserAccount(id: id, name: name, role: role, language: nil, domains: domains.map { $0.lowercased() })
        }
    }

    private func setMemberships(userID: Int64, domains: [String]) throws {
        try db.prepare("DELETE FROM memberships WHERE user_id = ?").run([.integer(userID)])
        let insert = try db.prepare("INSERT OR IGNORE INTO memberships (user_id, domain) VALUES (?, ?)")
        for d in domains { try insert.run([.integer(userID), .text(d.lowercased())]) }
    }

    /// Replaces a user's password and ends every session and API token of theirs.
    public func setPassword(name: String, passwordHash: String) throws {
        try db.transaction {
            guard let id = try db.prepare("SELECT id FROM users WHERE name = ?").scalar([.text(name)]) else {
                throw AccountError("no user named '\(name)'")
            }
            try db.prepare("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?")
                .run([.text(passwordHash), .integer(Self.now()), .integer(id)])
            try db.prepare("DELETE FROM sessions WHERE user_id = ?").run([.integer(id)])
            try db.prepare("DELETE FROM api_tokens WHERE user_id = ?").run([.integer(id)])
        }
    }

    /// Revokes every API token of a user; returns how many there were.
    @discardableResult
    public func revokeAPITokens(userName: String) throws -> Int {
        guard let (user, _) = try user(named: userName) else { throw AccountError("no user named '\(userName)'") }
        let n = try db.prepare("SELECT COUNT(*) FROM api_tokens WHERE user_id = ?").scalar([.integer(user.id)]) ?? 0
        try db.prepare("DELETE FROM api_tokens WHERE user_id = ?").run([.integer(user.id)])
        return Int(n)
    }

    public func setLanguage(userID: Int64, language: String?) throws {
        try db.prepare("UPDATE users SET language = ? WHERE id = ?").run([.optText(language), .integer(userID)])
    }

    public func users() throws -> [UserAccount] {
        var out: [UserAccount] = []
        try db.prepare("SELECT id, name, role, language FROM users ORDER BY name").query { row in
            out.append(
                UserAccount(
                    id: row.int64(0), name: row.text(1) ?? "",
                    role: UserAccount.Role(rawValue: row.text(2) ?? "") ?? .member,
                    language: row.text(3), domains: []))
        }
        for i in out.indices { out[i].domains = try memberships(userID: out[i].id) }
        return out
    }

    private func memberships(userID: Int64) throws -> [String] {
        var out: [String] = []
        try db.prepare("SELECT domain FROM memberships WHERE user_id = ? ORDER BY domain").query([.integer(userID)]) {
            out.append($0.text(0) ?? "")
        }
        return out
    }

    /// The account and its password hash, for sign-in.
    public func user(named name: String) throws -> (UserAccount, String)? {
        var found: (UserAccount, String)?
        try db.prepare("SELECT id, name, role, language, password_hash FROM users WHERE name = ?").query([.text(name)])
        {
            row in
            found = (
                UserAccount(
                    id: row.int64(0), name: row.text(1) ?? "",
                    role: UserAccount.Role(rawValue: row.text(2) ?? "") ?? .member,
                    language: row.text(3), domains: []),
                row.text(4) ?? ""
            )
        }
        guard var (account, hash) = found else { return nil }
        account.domains = try memberships(userID: account.id)
        return (account, hash)
    }

    func user(id: Int64) throws -> UserAccount? {
        var found: UserAccount?
        try db.prepare("SELECT id, name, role, language FROM users WHERE id = ?").query([.integer(id)]) { row in
            found = UserAccount(
                id: row.int64(0), name: row.text(1) ?? "",
                role: UserAccount.Role(rawValue: row.text(2) ?? "") ?? .member,
                language: row.text(3), domains: [])
        }
        guard var account = found else { return nil }
        account.domains = try memberships(userID: account.id)
        return account
    }

    // MARK: Sessions and API tokens (stored as SHA-256 digests)

    public func createSession(tokenHash: String, userID: Int64, csrfToken: String) throws {
        let now = Self.now()
        try db.prepare("DELETE FROM sessions WHERE expires_at < ?").run([.integer(now)])
        try db.prepare(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES (?,?,?,?,?,?)"
        ).run([
            .text(tokenHash), .integer(userID), .text(csrfToken), .integer(now), .integer(now),
            .integer(now + Self.sessionLifetime),
        ])
    }

    /// The live session with this token digest; refreshes its idle timer at most once a minute.
    public func session(tokenHash: String) throws -> SessionInfo? {
        let now = Self.now()
        var found: (Int64, String, Int64, Int64)?
        try db.prepare("SELECT user_id, csrf_token, last_seen_at, expires_at FROM sessions WHERE token_hash = ?")
            .query([.text(tokenHash)]) { row in
                found = (row.int64(0), row.text(1) ?? "", row.int64(2), row.int64(3))
            }
        guard let (userID, csrf, lastSeen, expires) = found else { return nil }
        guard expires > now, lastSeen + Self.sessionIdle > now else {
            try deleteSession(tokenHash: tokenHash)
            return nil
        }
        if now - lastSeen >= 60 {
            try db.prepare("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?").run([
                .integer(now), .text(tokenHash),
            ])
        }
        guard let user = try user(id: userID) else { return nil }
        return SessionInfo(user: user, csrfToken: csrf, expiresAt: expires)
    }

    public func deleteSession(tokenHash: String) throws {
        try db.prepare("DELETE FROM sessions WHERE token_hash = ?").run([.text(tokenHash)])
    }

    public func createAPIToken(tokenHash: String, userName: String, name: String) throws {
        guard let (user, _) = try user(named: userName) else { throw AccountError("no user named '\(userName)'") }
        try db.prepare("INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES (?,?,?,?)").run([
            .text(tokenHash), .integer(user.id), .text(name), .integer(Self.now()),
        ])
    }

    public func apiTokenUser(tokenHash: String) throws -> UserAccount? {
        guard
            let userID = try db.prepare("SELECT user_id FROM api_tokens WHERE token_hash = ?").scalar([
                .text(tokenHash)
            ])
        else { return nil }
        try db.prepare("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?").run([
            .integer(Self.now()), .text(tokenHash),
        ])
        return try user(id: userID)
    }

    // MARK: Sign-in throttling

    /// Until when sign-in is refused for `key` (a user name, a client address, or both), if it is.
    public func signInLockedUntil(key: String) throws -> Int64? {
        let until = try db.prepare("SELECT locked_until FROM sign_in_failures WHERE key = ?").scalar([.text(key)]) ?? 0
        return until > Self.now() ? until : nil
    }

    /// Counts a failed sign-in; `limit` failures within `window` seconds lock the key for `lock`
    /// seconds. Returns the lock's end when this failure set one.
    @discardableResult
    public func recordSignInFailure(key: String, limit: Int = 5, window: Int64 = 900, lock: Int64 = 900) throws
        -> Int64?
    {
        let now = Self.now()
        return try db.transaction {
            try db.prepare("DELETE FROM sign_in_failures WHERE first_at < ? AND locked_until < ?").run([
                .integer(now - 86_400), .integer(now),
            ])
            var failures = 0
            var firstAt = now
            try db.prepare("SELECT failures, first_at FROM sign_in_failures WHERE key = ?").query([.text(key)]) { row in
                failures = row.int(0)
                firstAt = row.int64(1)
            }
            if now - firstAt > window {
                failures = 0
                firstAt = now
            }
            failures += 1
            let lockedUntil = failures >= limit ? now + lock : 0
            try db.prepare(
                """
                INSERT INTO sign_in_failures (key, failures, first_at, locked_until) VALUES (?,?,?,?)
                ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, first_at = excluded.first_at,
                  locked_until = excluded.locked_until
                """
            ).run([.text(key), .int(failures >= limit ? 0 : failures), .integer(firstAt), .integer(lockedUntil)])
            return lockedUntil > 0 ? lockedUntil : nil
        }
    }

    /// Claims the audit entry of the lock on `key` that lasts until `until`: true the first time
    /// for that lock, false afterwards, so a locked key tried a thousand times is logged once.
    /// The claim is a row of its own in the same table (pruned with the others).
    public func claimSignInAudit(key: String, until: Int64) throws -> Bool {
        try db.prepare(
            """
            INSERT INTO sign_in_failures (key, failures, first_at, locked_until) VALUES (?, 0, ?, ?)
            ON CONFLICT (key) DO UPDATE SET first_at = excluded.first_at, locked_until = excluded.locked_until
            WHERE sign_in_failures.locked_until < excluded.locked_until
            """
        ).run([.text("audited:" + key), .integer(Self.now()), .integer(until)])
        return db.changes > 0
    }

    public func clearSignInFailures(key: String) throws {
        try db.prepare("DELETE FROM sign_in_failures WHERE key = ?").run([.text(key)])
    }

    // MARK: Registered domains and the audit log

    public func registerDomain(_ name: String, dmarcRecord: String?) throws {
        try db.prepare(
            """
            INSERT INTO domains (name, created_at, dmarc_record) VALUES (?,?,?)
            ON CONFLICT (name) DO UPDATE SET dmarc_record = COALESCE(excluded.dmarc_record, dmarc_record)
            """
        ).run([.text(name.lowercased()), .integer(Self.now()), .optText(dmarcRecord)])
    }

    public func registeredDomains() throws -> [RegisteredDomain] {
        var out: [RegisteredDomain] = []
        try db.prepare("SELECT name, created_at, dmarc_record FROM domains ORDER BY name").query { row in
            out.append(RegisteredDomain(name: row.text(0) ?? "", createdAt: row.int64(1), dmarcRecord: row.text(2)))
        }
        return out
    }

    public func audit(user: String?, action: String, detail: String?) throws {
        try db.prepare("INSERT INTO audit_log (at, user_name, action, detail) VALUES (?,?,?,?)").run([
            .integer(Self.now()), .optText(user), .text(action), .optText(detail),
        ])
    }

    /// The newest audit entries first.
    public func auditEntries(limit: Int = 1000) throws -> [AuditEntry] {
        var out: [AuditEntry] = []
        try db.prepare("SELECT at, user_name, action, detail FROM audit_log ORDER BY id DESC LIMIT ?").query([
            .int(limit)
        ]) { row in
            out.append(AuditEntry(at: row.int64(0), user: row.text(1), action: row.text(2) ?? "", detail: row.text(3)))
        }
        return out
    }
}
