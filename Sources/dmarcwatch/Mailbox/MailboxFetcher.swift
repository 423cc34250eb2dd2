import DMARCCore
import DMARCIngest
import DMARCNet
import DMARCStore

#if canImport(Glibc)
    import Glibc
#endif

/// The outcome of fetching one mailbox.
struct MailboxRun {
    var mailbox: String
    var fetched = 0
    var reports = 0
    var notReports = 0
    var failed = 0
    /// One line naming the mailbox, when the run stopped or a message could not be handled.
    var errors: [String] = []
}

/// Pulls new messages from an IMAP mailbox: each message's raw bytes are stored and imported,
/// the outcome is committed, and only then is the message moved (or flagged seen). The state of
/// every UID is kept, so a run that is killed part-way resumes without losing or duplicating.
struct MailboxFetcher {
    let store: ReportStore
    let importer: Importer
    /// Checked between messages: `serve` sets it on SIGTERM so a run stops at a clean point.
    var shouldStop: () -> Bool = { false }

    func run(_ mailbox: MailboxConfig) -> MailboxRun {
        var result = MailboxRun(mailbox: "\(mailbox.url) (user \(mailbox.username))")
        do {
            let endpoint = try IMAPEndpoint(url: mailbox.url, allowPlaintext: mailbox.allowPlaintext)
            let client = try IMAPClient(
                endpoint: endpoint, user: mailbox.username, password: mailbox.password, caFile: mailbox.caFile)
            let folder = endpoint.folder
            guard try client.folderExists(folder) else {
                throw IMAPError("\(endpoint.display): the folder \(folder) does not exist")
            }
            let validity = try client.uidValidity(folder)
            for uid in try client.uids(folder) {
                if shouldStop() { break }
                do {
                    try handle(
                        uid: uid, folder: folder, validity: validity, client: client, mailbox: mailbox, result: &result)
                } catch {
                    // One retry: libcurl opens a new connection if the old one was dropped. If that
                    // fails too, this run stops here and the next one resumes from this UID.
                    do {
                        try handle(
                            uid: uid, folder: folder, validity: validity, client: client, mailbox: mailbox,
                            result: &result)
                    } catch {
                        result.errors.append("\(error)")
                        break
                    }
                }
            }
        } catch {
            result.errors.append("\(error)")
        }
        try? store.recordMailboxRun(id: mailbox.id, error: result.errors.first, fetched: result.fetched)
        return result
    }

    private func handle(
        uid: UInt64, folder: String, validity: UInt64, client: IMAPClient, mailbox: MailboxConfig,
        result: inout MailboxRun
    ) throws {
        if let known = try store.messageState(mailbox: mailbox.id, folder: folder, uidValidity: validity, uid: uid) {
            switch known.state {
            case .done, .failed:
                return
            case .imported:
                // Stored before an interrupted run could move it: finish the move only.
                try finish(uid: uid, folder: folder, validity: validity, state: known, client: client, mailbox: mailbox)
                return
            }
        }
        var template = Array("/tmp/dmarcwatch-imap-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw IMAPError("cannot create a temporary file: \(String(cString: strerror(errno)))") }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer {
            close(fd)
            unlink(path)
        }
        // The message streams to a file; the importer reads it from there (never twice in memory).
        _ = try client.fetch(folder, uid: uid, to: fd, limit: importer.limits.messageBytes)
        result.fetched += 1
        let outcome = importer.importInput(
            path: path, name: "\(client.endpoint.display) UID \(uid)",
            origin: "imap:\(mailbox.id):\(folder):\(validity):\(uid)")
        guard importer.lastInputStored else {
            result.failed += 1
            result.errors.append(
                "\(client.endpoint.display) UID \(uid): not stored: \(importer.summary.failures.last?.error ?? "unknown error")"
            )
            return
        }
        let category: String
        switch outcome {
        case .imported, .duplicate:
            category = "report"
            result.reports += 1
        case .ignored:
            category = "not-report"
            result.notReports += 1
        case .failed:
            category = "failed"
            result.failed += 1
        }
        let state = MailboxMessageState(state: .imported, rawDocumentID: importer.lastRawDocumentID, outcome: category)
        try store.setMessageState(mailbox: mailbox.id, folder: folder, uidValidity: validity, uid: uid, state)
        try finish(uid: uid, folder: folder, validity: validity, state: state, client: client, mailbox: mailbox)
    }

    /// Moves the message to the done or failed folder (or flags it seen), then records it done.
    private func finish(
        uid: UInt64, folder: String, validity: UInt64, state: MailboxMessageState, client: IMAPClient,
        mailbox: MailboxConfig
    ) throws {
        let target = state.outcome == "report" ? mailbox.doneFolder : mailbox.failedFolder
        if let target {
            try client.move(folder, uid: uid, to: target)
        } else {
            try client.markSeen(folder, uid: uid)
        }
        var done = state
        done.state = state.outcome == "report" || target != nil ? .done : .failed
        let reason =
            state.outcome == "report" ? nil : (state.outcome == "failed" ? "could not be parsed" : "not a report")
        try store.setMessageState(
            mailbox: mailbox.id, folder: folder, uidValidity: validity, uid: uid, done, error: reason)
    }
}
