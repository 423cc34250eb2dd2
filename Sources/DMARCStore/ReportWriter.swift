import DMARCCore
import Dispatch
import Synchronization

/// Stores one aggregate report as the parser streams it: a transaction opened in `begin`,
/// committed in `finish`, rolled back in `abort`.
///
/// Records are handed to a writer queue in batches, so parsing (the caller's thread) and SQLite
/// inserts (the queue) run on two cores at once; at most a few batches are in flight, so memory
/// stays bounded. Daily rollup rows are summed in memory and written in sorted batches.
public final class ReportWriter: AggregateReportSink {
    private let store: ReportStore
    private let rawDocumentID: Int64?
    private let sourceName: String?
    private var header = AggregateReportHeader()
    private var batch: [AggregateRecord] = []
    private var inserter: RecordInserter?
    private let queue = DispatchQueue(label: "dmarcwatch.report-writer")
    private let inFlight = DispatchSemaphore(value: 4)
    private let failure = FailureSlot()
    private static let batchSize = 2048

    /// Whether `begin` found the report already stored.
    public private(set) var wasDuplicate = false
    public private(set) var recordCount = 0
    public private(set) var messageCount: Int64 = 0

    init(store: ReportStore, rawDocumentID: Int64?, sourceName: String?) {
        self.store = store
        self.rawDocumentID = rawDocumentID
        self.sourceName = sourceName
    }

    private var db: SQLiteConnection { store.db }

    public func begin(_ header: AggregateReportHeader) throws -> Bool {
        self.header = header
        let key = header.key.description
        if try db.prepare("SELECT id FROM reports WHERE report_key = ?").scalar([.text(key)]) != nil {
            wasDuplicate = true
            return false
        }
        try db.execute("BEGIN IMMEDIATE")
        do {
            let m = header.metadata
            let p = header.policy
            let begin = m.begin ?? 0
            let end = m.end ?? begin
            try db.prepare(
                """
                INSERT INTO reports (report_key, raw_document_id, source_name, reporter, org_name, email, extra_contact_info,
                  report_id, begin_ts, end_ts, day, flavour, namespace, version, generator, errors, domain,
                  p, sp, np, pct, adkim, aspf, fo, testing, discovery_method, psd, imported_at)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                """
            ).run([
                .text(key), rawDocumentID.map { .integer($0) }, .optText(sourceName), .text(m.displayReporter),
                .optText(m.orgName), .optText(m.email), .optText(m.extraContactInfo), .text(m.reportID ?? ""),
                .integer(begin), .integer(end), .integer(DayMath.day(of: begin + max(end - begin, 0) / 2)),
                .text(header.flavour.rawValue), .optText(header.namespace), .optText(header.version),
                .optText(m.generator), m.errors.isEmpty ? nil : .text(JSONText.array(m.errors)),
                .text((p.domain ?? "").lowercased()), .optText(p.p), .optText(p.sp), .optText(p.np), .optInt(p.pct),
                .optText(p.adkim), .optText(p.aspf), .optText(p.fo), .optText(p.testing), .optText(p.discoveryMethod),
                .optText(p.psd), .integer(ReportStore.now()),
            ])
            inserter = try RecordInserter(
                db: db, reportRowID: db.lastInsertRowID, domain: (p.domain ?? "").lowercased(), begin: begin, end: end)
            batch.reserveCapacity(Self.batchSize)
        } catch {
            abort()
            throw error
        }
        return true
    }

    public func record(_ r: AggregateRecord) throws {
        guard inserter != nil else { return }
        batch.append(r)
        recordCount += 1
        messageCount += r.count
        if batch.count >= Self.batchSize { try dispatchBatch() }
    }

    /// Hands the current batch to the writer queue, waiting while too many are in flight.
    private func dispatchBatch() throws {
        if let message = failure.value.withLock({ $0 }) { throw SQLiteError(code: 1, message: message, sql: nil) }
        guard let inserter, !batch.isEmpty else { return }
        let work = QueueHandoff(inserter: inserter, records: batch)
        batch = []
        batch.reserveCapacity(Self.batchSize)
        inFlight.wait()
        queue.async { [inFlight, failure] in
            defer { inFlight.signal() }
            guard failure.value.withLock({ $0 }) == nil else { return }
            do {
                try work.run()
            } catch {
                failure.value.withLock { $0 = "\(error)" }
            }
        }
    }

    /// Waits until the queue has written every batch handed to it.
    private func drain() {
        queue.sync {}
    }

    public func finish(_ header: AggregateReportHeader) throws {
        guard let inserter else { return }
        do {
            try dispatchBatch()
            drain()
            if let message = failure.value.withLock({ $0 }) { throw SQLiteError(code: 1, message: message, sql: nil) }
            try inserter.flushRollup()
            let m = header.metadata
            try db.prepare(
                "UPDATE reports SET record_count = ?, message_count = ?, first_record_id = ?, warnings = ?, errors = ?, generator = ?, extra_contact_info = ?, flavour = ? WHERE id = ?"
            ).run([
                .int(recordCount), .integer(messageCount), inserter.firstRecordID.map { .integer($0) },
                header.warnings.isEmpty ? nil : .text(JSONText.array(header.warnings.map(\.description))),
                m.errors.isEmpty ? nil : .text(JSONText.array(m.errors)), .optText(m.generator),
                .optText(m.extraContactInfo), .text(header.flavour.rawValue), .integer(inserter.reportRowID),
            ])
            self.inserter = nil
            try db.execute("COMMIT")
        } catch {
            abort()
            throw error
        }
    }

    public func abort() {
        guard inserter != nil else { return }
        drain()
        inserter = nil
        batch.removeAll()
        failure.value.withLock { $0 = nil }
        recordCount = 0
        messageCount = 0
        try? db.execute("ROLLBACK")
    }
}

@available(*, unavailable)
extension ReportWriter: Sendable {}

/// A batch of records and the inserter that writes them, moved to the writer queue.
///
/// `@unchecked Sendable` is sound because of how `ReportWriter` uses it: between `begin` and
/// `finish` the connection is touched only by the serial writer queue (the parsing thread only
/// appends to its own batch), and `finish`/`abort` call `queue.sync {}` before using the
/// connection again, which orders every queued write before them.
private struct QueueHandoff: @unchecked Sendable {
    let inserter: RecordInserter
    let records: [AggregateRecord]

    func run() throws {
        for r in records { try inserter.insert(r) }
    }
}

/// The prepared statements and rollup sums of one report's transaction.
final class RecordInserter {
    let db: SQLiteConnection
    let reportRowID: Int64
    let domain: String
    let begin: Int64
    let end: Int64
    /// The day every record counts on, when the report spans at most two days.
    let singleDay: Int64?
    let insertRecord: SQLiteStatement
    let insertDKIM: SQLiteStatement
    let insertSPF: SQLiteStatement
    var rollup: [RollupKey: Int64] = [:]
    /// The id of the report's first record; the rest follow without gaps.
    var firstRecordID: Int64?
    static let rollupBatch = 8_192

    init(db: SQLiteConnection, reportRowID: Int64, domain: String, begin: Int64, end: Int64) throws {
        self.db = db
        self.reportRowID = reportRowID
        self.domain = domain
        self.begin = begin
        self.end = end
        let spread = DayMath.spread(count: 1, begin: begin, end: end)
        singleDay = end - begin <= 2 * DayMath.secondsPerDay ? spread.first?.day : nil
        insertRecord = try db.prepare(
            """
            INSERT INTO records (report_id, source_ip, source_ip_bytes, count, disposition, dkim, spf, reasons,
              header_from, envelope_from, envelope_to, dmarc_pass, dkim_aligned, spf_aligned)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        insertDKIM = try db.prepare(
            "INSERT INTO dkim_results (record_id, seq, domain, selector, result, human_result) VALUES (?,?,?,?,?,?)")
        insertSPF = try db.prepare(
            "INSERT INTO spf_results (record_id, seq, domain, scope, result, human_result) VALUES (?,?,?,?,?,?)")
    }

    func insert(_ r: AggregateRecord) throws {
        let s = insertRecord
        try s.bind(reportRowID, at: 1)
        try s.bind(r.sourceIP, at: 2)
        try s.bind(bytes: IPAddress(r.sourceIP)?.bytes ?? [], at: 3)
        try s.bind(r.count, at: 4)
        try s.bind(r.disposition, at: 5)
        try s.bind(r.dkim, at: 6)
        try s.bind(r.spf, at: 7)
        try s.bind(r.reasons.isEmpty ? nil : Self.reasonsJSON(r.reasons), at: 8)
        try s.bind(r.headerFrom, at: 9)
        try s.bind(r.envelopeFrom, at: 10)
        try s.bind(r.envelopeTo, at: 11)
        try s.bind(r.dmarcPass ? 1 : 0, at: 12)
        try s.bind(r.dkimAligned ? 1 : 0, at: 13)
        try s.bind(r.spfAligned ? 1 : 0, at: 14)
        try s.execute()
        let recordID = db.lastInsertRowID
        if firstRecordID == nil { firstRecordID = recordID }
        for (i, d) in r.dkimResults.enumerated() {
            try insertDKIM.bind(recordID, at: 1)
            try insertDKIM.bind(Int64(i), at: 2)
            try insertDKIM.bind(d.domain, at: 3)
            try insertDKIM.bind(d.selector, at: 4)
            try insertDKIM.bind(d.result, at: 5)
            try insertDKIM.bind(d.humanResult, at: 6)
            try insertDKIM.execute()
        }
        for (i, f) in r.spfResults.enumerated() {
            try insertSPF.bind(recordID, at: 1)
            try insertSPF.bind(Int64(i), at: 2)
            try insertSPF.bind(f.domain, at: 3)
            try insertSPF.bind(f.scope, at: 4)
            try insertSPF.bind(f.result, at: 5)
            try insertSPF.bind(f.humanResult, at: 6)
            try insertSPF.execute()
        }
        var key = RollupKey(
            day: singleDay ?? 0, sourceIP: r.sourceIP, headerFrom: r.headerFrom ?? "", disposition: r.disposition ?? "",
            dkim: r.dkim ?? "", spf: r.spf ?? "")
        if singleDay != nil {
            rollup[key, default: 0] += r.count
        } else {
            for share in DayMath.spread(count: r.count, begin: begin, end: end) {
                key.day = share.day
                rollup[key, default: 0] += share.count
            }
        }
        if rollup.count >= Self.rollupBatch { try flushRollup() }
    }

    static func reasonsJSON(_ reasons: [PolicyOverrideReason]) -> String {
        JSONValue.array(reasons.map { .object([("type", .string($0.type)), ("comment", .optional($0.comment))]) })
            .serialized()
    }

    func flushRollup() throws {
        guard !rollup.isEmpty else { return }
        let upsert = try db.prepare(
            """
            INSERT INTO daily_rollup (day, domain, source_ip, header_from, disposition, dkim, spf, dmarc_pass, messages)
            VALUES (?,?,?,?,?,?,?,?,?)
            ON CONFLICT (domain, day, source_ip, header_from, disposition, dkim, spf)
            DO UPDATE SET messages = messages + excluded.messages
            """)
        // Sorted in primary-key order, so the B-tree is written front to back.
        let entries = rollup.sorted { a, b in
            (a.key.day, a.key.sourceIP, a.key.headerFrom) < (b.key.day, b.key.sourceIP, b.key.headerFrom)
        }
        for (k, messages) in entries {
            try upsert.bind(k.day, at: 1)
            try upsert.bind(domain, at: 2)
            try upsert.bind(k.sourceIP, at: 3)
            try upsert.bind(k.headerFrom, at: 4)
            try upsert.bind(k.disposition, at: 5)
            try upsert.bind(k.dkim, at: 6)
            try upsert.bind(k.spf, at: 7)
            try upsert.bind(k.dkim == "pass" || k.spf == "pass" ? 1 : 0, at: 8)
            try upsert.bind(messages, at: 9)
            try upsert.execute()
        }
        rollup.removeAll(keepingCapacity: true)
    }
}

@available(*, unavailable)
extension RecordInserter: Sendable {}

/// One daily rollup row of a report (the domain is the report's).
struct RollupKey: Hashable {
    var day: Int64
    var sourceIP: String
    var headerFrom: String
    var disposition: String
    var dkim: String
    var spf: String
}

/// The first error met on the writer queue, read by the parsing thread.
private final class FailureSlot: Sendable {
    let value = Mutex<String?>(nil)
}
