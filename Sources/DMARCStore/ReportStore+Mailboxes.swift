import DMARCCore

/// An IMAP mailbox the reports arrive in. The password is kept for fetching and never shown.
public struct MailboxConfig: Sendable, Equatable {
    public var id: Int64
    public var url: String
    public var username: String
    public var password: String
    public var doneFolder: String?
    public var failedFolder: String?
    public var allowPlaintext: Bool
    public var lastRunAt: Int64?
    public var lastError: String?
    public var lastFetched: Int
    /// A PEM file of certificate authorities to trust instead of the system's.
    public var caFile: String?
}

/// What happened to one message of a mailbox.
public struct MailboxMessageState: Sendable, Equatable {
    public enum State: String, Sendable { case imported, done, failed }
    public var state: State
    public var rawDocumentID: Int64?
    /// `report`, `not-report` or `failed`: where the message belongs.
    public var outcome: String?

    public init(state: State, rawDocumentID: Int64?, outcome: String?) {
        self.state = state
        self.rawDocumentID = rawDocumentID
        self.outcome = outcome
    }
}

extension ReportStore {
    public func addMailbox(
        url: String, username: String, password: String, doneFolder: String?, failedFolder: String?,
        allowPlaintext: Bool,
        caFile: String? = nil
    ) throws -> Int64 {
        do {
            try db.prepare(
                """
                INSERT INTO mailboxes (url, username, password, done_folder, failed_folder, allow_plaintext, created_at, ca_file)
                VALUES (?,?,?,?,?,?,?,?)
                """
            ).run([
                .text(url), .text(username), .text(password), .optText(doneFolder), .optText(failedFolder),
                .bool(allowPlaintext),
                .integer(Self.now()), .optText(caFile),
            ])
        } catch let error as SQLiteError where error.code == 2067 {  // SQLITE_CONSTRAINT_UNIQUE
            throw StoreError("the mailbox \(url) for \(username) is already configured")
        }
        return db.lastInsertRowID
    }

    public func mailboxes() throws -> [MailboxConfig] {
        var out: [MailboxConfig] = []
        try db.prepare(
            """
            SELECT id, url, username, password, done_folder, failed_folder, allow_plaintext, last_run_at, last_error, last_fetched,
                   ca_file
            FROM mailboxes ORDER BY id
            """
        ).query { row in
            out.append(
                MailboxConfig(
                    id: row.int64(0), url: row.text(1) ?? "", username: row.text(2) ?? "", password: row.text(3) ?? "",
                    doneFolder: row.text(4), failedFolder: row.text(5), allowPlaintext: row.int64(6) != 0,
                    lastRunAt: row.int64Optional(7), lastError: row.text(8), lastFetched: row.int(9),
                    caFile: row.text(10)))
        }
        return out
    }

    /// Removes a mailbox (by id or URL); returns whether one was removed.
    public func removeMailbox(_ idOrURL: String) throws -> Bool {
        if let id = Int64(idOrURL) {
            try db.prepare("DELETE FROM mailboxes WHERE id = ?").run([.integer(id)])
        } else {
            try db.prepare("DELETE FROM mailboxes WHERE url = ?").run([.text(idOrURL)])
        }
        return db.changes > 0
    }

    public func recordMailboxRun(id: Int64, error: String?, fetched: Int) throws {
        try db.prepare("UPDATE mailboxes SET last_run_at = ?, last_error = ?, last_fetched = ? WHERE id = ?")
            .run([.integer(Self.now()), .optText(error), .int(fetched), .integer(id)])
    }

    public func messageState(mailbox: Int64, folder: String, uidValidity: UInt64, uid: UInt64) throws
        -> MailboxMessageState?
    {
        var state: MailboxMessageState?
        try db.prepare(
            "SELECT state, raw_document_id, outcome FROM mailbox_messages WHERE mailbox_id = ? AND folder = ? AND uidvalidity = ? AND uid = ?"
        ).query([.integer(mailbox), .text(folder), .integer(Int64(uidValidity)), .integer(Int64(uid))]) { row in
            state = MailboxMessageState(
                state: MailboxMessageState.State(rawValue: row.text(0) ?? "") ?? .failed,
                rawDocumentID: row.int64Optional(1),
                outcome: row.text(2))
        }
        return state
    }

    public func setMessageState(
        mailbox: Int64, folder: String, uidValidity: UInt64, uid: UInt64, _ state: MailboxMessageState,
        error: String? = nil
    ) throws {
        try db.prepare(
            """
            INSERT INTO mailbox_messages (mailbox_id, folder, uidvalidity, uid, state, raw_document_id, outcome, error, updated_at)
            VALUES (?,?,?,?,?,?,?,?,?)
            ON CONFLICT (mailbox_id, folder, uidvalidity, uid) DO UPDATE SET state = excluded.state,
              raw_document_id = excluded.raw_document_id, outcome = excluded.outcome, error = excluded.error,
              updated_at = excluded.updated_at
            """
        ).run([
            .integer(mailbox), .text(folder), .integer(Int64(uidValidity)), .integer(Int64(uid)),
            .text(state.state.rawValue),
            state.rawDocumentID.map { .integer($0) }, .optText(state.outcome), .optText(error), .integer(Self.now()),
        ])
    }
}

/// A store operation refused for a reason the user can fix.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
