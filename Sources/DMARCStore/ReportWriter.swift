import DMARCCore
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

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
        // The duplicate check runs inside the write transaction, so two imports of the same report
        // at once cannot both get past it.
        try db.execute("PRAGMA foreign_keys=OFF")
        try db.execute("BEGIN IMMEDIATE")
        defer { if inserter == nil { try? db.execute("PRAGMA foreign_keys=ON") } }
        do {
            if try db.prepare("SELECT id FROM reports WHERE report_key = ?").scalar([.text(key)]) != nil {
                try db.execute("ROLLBACK")
                wasDuplicate = true
                return false
            }
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
                db: db, reportRowID: db.lastInsertRowID, domain: (p.domain ?? "").lowercased(),
                rollup: RollupAccumulator(begin: begin, end: end), writeBehind: store.walWriteBehind())
            batch.reserveCapacity(Self.batchSize)
        } catch {
            inserter = nil
            try? db.execute("ROLLBACK")
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
        try failure.check()
        guard let inserter, !batch.isEmpty else { return }
        enqueue(QueueHandoff(inserter: inserter, work: .records(batch)))
        batch = []
        batch.reserveCapacity(Self.batchSize)
    }

    /// Runs work on the writer queue, waiting while too many are in flight.
    private func enqueue(_ work: QueueHandoff) {
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
            // A large report: what its records left in the WAL goes to disk while the rollup is
            // written. (A small one's few pages are left to the kernel.)
            if recordCount >= Self.batchSize { inserter.writeBehind?.flush() }
            try failure.check()
            // The queue is idle: the inserter's rollup and spill can be used here.
            if let spill = inserter.spill {
                // A large report: its last rows become one more run, then the runs are merged here
                // while the writer queue upserts the merged rows in one sorted pass over the B-tree.
                try spill.write(run: inserter.rollup.takeSorted())
                try spill.merge(chunk: RollupAccumulator.batch) { rows in
                    try failure.check()
                    enqueue(QueueHandoff(inserter: inserter, work: .rollup(rows)))
                }
                inserter.spill = nil
                drain()
                try failure.check()
            } else {
                try inserter.upsertRollup(inserter.rollup.takeSorted())
            }
            try inserter.flushDayTotals()
            let m = header.metadata
            try db.prepare(
                "UPDATE reports SET record_count = ?, message_count = ?, first_record_id = ?, warnings = ?, errors = ?, generator = ?, extra_contact_info = ?, flavour = ? WHERE id = ?"
            ).run([
                .int(recordCount), .integer(messageCount), inserter.firstRecordID.map { .integer($0) },
                header.warnings.isEmpty ? nil : .text(JSONText.array(header.warnings.map(\.description))),
                m.errors.isEmpty ? nil : .text(JSONText.array(m.errors)), .optText(m.generator),
                .optText(m.extraContactInfo), .text(header.flavour.rawValue), .integer(inserter.reportRowID),
            ])
            try db.execute("COMMIT")
            try db.execute("PRAGMA foreign_keys=ON")
            self.inserter = nil
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
        try? db.execute("PRAGMA foreign_keys=ON")
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
    enum Work {
        /// Records to insert and add to the rollup sums.
        case records([AggregateRecord])
        /// Merged rollup rows, in key order, to upsert.
        case rollup(RollupRows)
    }

    let inserter: RecordInserter
    let work: Work

    func run() throws {
        switch work {
        case .records(let records):
            try inserter.insert(batch: records)
            try inserter.sum(records)
            inserter.writeBehind?.batchWritten()
        case .rollup(let rows):
            try inserter.upsertRollup(rows)
            // The rollup is written after the last records: each batch's WAL goes to disk at once,
            // so the checkpoint after COMMIT waits for as little as possible.
            inserter.writeBehind?.flush()
        }
    }
}

/// Sums a report's records into daily rollup rows: on the day of its interval's midpoint when it
/// spans at most two days, else spread over its days (DESIGN §5).
struct RollupAccumulator {
    let begin: Int64
    let end: Int64
    /// The day every record counts on, when the report spans at most two days.
    let singleDay: Int64?
    private var table = RollupTable()
    /// The key being built, reused from record to record.
    private var key: [UInt8] = []
    /// Rows summed in memory before they are written out as a sorted run (a few MiB: the sums
    /// stay in the processor's cache, which matters more than the number of runs).
    static let batch = 16_384

    init(begin: Int64, end: Int64) {
        self.begin = begin
        self.end = end
        singleDay =
            end - begin <= 2 * DayMath.secondsPerDay ? DayMath.spread(count: 1, begin: begin, end: end).first?.day : nil
    }

    var count: Int { table.count }

    mutating func add(_ r: AggregateRecord) {
        key.removeAll(keepingCapacity: true)
        RollupKeyCoding.append(day: singleDay ?? 0, to: &key)
        RollupKeyCoding.append(field: r.sourceIP, to: &key)
        RollupKeyCoding.append(field: r.headerFrom, to: &key)
        RollupKeyCoding.append(field: r.disposition, to: &key)
        RollupKeyCoding.append(field: r.dkim, to: &key)
        RollupKeyCoding.append(field: r.spf, to: &key)
        if singleDay != nil {
            key.withUnsafeBytes { table.add(key: $0, value: r.count) }
        } else {
            for share in DayMath.spread(count: r.count, begin: begin, end: end) {
                key.withUnsafeMutableBytes { k in
                    withUnsafeBytes(of: (UInt64(bitPattern: share.day) ^ (1 << 63)).bigEndian) {
                        k.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 8)
                    }
                }
                key.withUnsafeBytes { table.add(key: $0, value: share.count) }
            }
        }
    }

    /// The sums so far, in primary-key order (the B-tree is then written front to back), and
    /// a fresh start.
    mutating func takeSorted() -> RollupRows { table.takeSorted() }
}

/// The prepared statements and rollup sums of one report's transaction, used on the writer
/// queue (the parsing thread is the busier of the two).
final class RecordInserter {
    let db: SQLiteConnection
    let reportRowID: Int64
    let domain: String
    /// The daily rollup of the report so far.
    var rollup: RollupAccumulator
    /// Sorted runs of the rollup, once a report has more rows than `RollupAccumulator.batch`.
    var spill: RollupSpill?
    var nextRecordID: Int64
    /// Per-day totals for `domain_daily`, summed over the whole report (a few days at most).
    var dayTotals: [Int64: DayTotals] = [:]
    /// The id of the report's first record; the rest follow without gaps.
    var firstRecordID: Int64?
    /// Early writeback of the WAL while a large report is written.
    let writeBehind: WriteBehind?

    init(
        db: SQLiteConnection, reportRowID: Int64, domain: String, rollup: RollupAccumulator, writeBehind: WriteBehind?
    )
        throws
    {
        self.db = db
        self.writeBehind = writeBehind
        self.reportRowID = reportRowID
        self.domain = domain
        self.rollup = rollup
        // The transaction is exclusive (BEGIN IMMEDIATE), so ids can be given out here: the report's
        // records get the contiguous range reports.first_record_id relies on.
        nextRecordID = (try db.prepare("SELECT COALESCE(MAX(id), 0) + 1 FROM records").scalar() ?? 1)
    }

    /// Multi-row INSERT statements, prepared once per row count: one statement per 64 rows
    /// instead of one per row is most of the cost of storing a record.
    private var statements: [String: SQLiteStatement] = [:]
    static let rowsPerStatement = 64

    private func statement(_ table: String, columns: String, count: Int, rows: Int) throws -> SQLiteStatement {
        let key = "\(table)/\(rows)"
        if let s = statements[key] { return s }
        let row = "(" + Array(repeating: "?", count: count).joined(separator: ",") + ")"
        let sql =
            "INSERT INTO \(table) (\(columns)) VALUES " + Array(repeating: row, count: rows).joined(separator: ",")
        let s = try db.prepare(sql)
        statements[key] = s
        return s
    }

    /// A record's columns; its first DKIM and first SPF result are in its own row (migration 8),
    /// further ones in dkim_results and spf_results.
    private static let recordColumns =
        "id, report_id, source_ip, source_ip_bytes, count, disposition, dkim, spf, reasons, header_from, envelope_from, envelope_to, dmarc_pass, dkim_aligned, spf_aligned, auth_inline, dkim_domain, dkim_selector, dkim_result, dkim_human_result, spf_domain, spf_scope, spf_result, spf_human_result"
    private static let recordColumnCount: Int32 = 24

    func insert(batch: [AggregateRecord]) throws {
        var start = 0
        while start < batch.count {
            let chunk = batch[start..<min(start + Self.rowsPerStatement, batch.count)]
            try insertChunk(chunk)
            start += chunk.count
        }
    }

    private func insertChunk(_ chunk: ArraySlice<AggregateRecord>) throws {
        let s = try statement(
            "records", columns: Self.recordColumns, count: Int(Self.recordColumnCount), rows: chunk.count)
        var i: Int32 = 1
        var dkimRows: [(record: Int64, seq: Int, result: DKIMAuthResult)] = []
        var spfRows: [(record: Int64, seq: Int, result: SPFAuthResult)] = []
        for r in chunk {
            let id = nextRecordID
            nextRecordID += 1
            if firstRecordID == nil { firstRecordID = id }
            try s.bind(id, at: i)
            try s.bind(reportRowID, at: i + 1)
            try s.bind(r.sourceIP, at: i + 2)
            if let address = r.sourceAddress ?? IPAddress(r.sourceIP) {
                try address.withUnsafeBytes { try s.bind(blob: $0, at: i + 3) }
            } else {
                try s.bind(bytes: [], at: i + 3)
            }
            try s.bind(r.count, at: i + 4)
            try s.bind(r.disposition, at: i + 5)
            try s.bind(r.dkim, at: i + 6)
            try s.bind(r.spf, at: i + 7)
            try s.bind(r.reasons.isEmpty ? nil : Self.reasonsJSON(r.reasons), at: i + 8)
            try s.bind(r.headerFrom, at: i + 9)
            try s.bind(r.envelopeFrom, at: i + 10)
            try s.bind(r.envelopeTo, at: i + 11)
            try s.bind(r.dmarcPass ? 1 : 0, at: i + 12)
            try s.bind(r.dkimAligned ? 1 : 0, at: i + 13)
            try s.bind(r.spfAligned ? 1 : 0, at: i + 14)
            let dkim = r.dkimResults.first
            let spf = r.spfResults.first
            try s.bind((dkim == nil ? 0 : 1) | (spf == nil ? 0 : 2), at: i + 15)
            try s.bind(dkim?.domain, at: i + 16)
            try s.bind(dkim?.selector, at: i + 17)
            try s.bind(dkim?.result, at: i + 18)
            try s.bind(dkim?.humanResult, at: i + 19)
            try s.bind(spf?.domain, at: i + 20)
            try s.bind(spf?.scope, at: i + 21)
            try s.bind(spf?.result, at: i + 22)
            try s.bind(spf?.humanResult, at: i + 23)
            i += Self.recordColumnCount
            for (n, d) in r.dkimResults.enumerated().dropFirst() { dkimRows.append((id, n, d)) }
            for (n, f) in r.spfResults.enumerated().dropFirst() { spfRows.append((id, n, f)) }
        }
        try s.execute()
        try insertAuthRows("dkim_results", columns: "record_id, seq, domain, selector, result, human_result", dkimRows)
        {
            d, s, i in
            try s.bind(d.domain, at: i)
            try s.bind(d.selector, at: i + 1)
            try s.bind(d.result, at: i + 2)
            try s.bind(d.humanResult, at: i + 3)
        }
        try insertAuthRows("spf_results", columns: "record_id, seq, domain, scope, result, human_result", spfRows) {
            f, s, i in
            try s.bind(f.domain, at: i)
            try s.bind(f.scope, at: i + 1)
            try s.bind(f.result, at: i + 2)
            try s.bind(f.humanResult, at: i + 3)
        }
    }

    /// Inserts DKIM or SPF results, 64 rows a statement: the record id and position, then the
    /// four columns `bindResult` binds from `at` on.
    private func insertAuthRows<Result>(
        _ table: String, columns: String, _ rows: [(record: Int64, seq: Int, result: Result)],
        bindResult: (Result, SQLiteStatement, Int32) throws -> Void
    ) throws {
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + Self.rowsPerStatement, rows.count)]
            let s = try statement(table, columns: columns, count: 6, rows: chunk.count)
            var i: Int32 = 1
            for row in chunk {
                try s.bind(row.record, at: i)
                try s.bind(Int64(row.seq), at: i + 1)
                try bindResult(row.result, s, i + 2)
                i += 6
            }
            try s.execute()
            start += chunk.count
        }
    }

    /// Adds records to the rollup sums, writing them out as a sorted run when they grow large.
    func sum(_ records: [AggregateRecord]) throws {
        for r in records { rollup.add(r) }
        if rollup.count >= RollupAccumulator.batch {
            let spill = try self.spill ?? RollupSpill()
            self.spill = spill
            try spill.write(run: rollup.takeSorted())
        }
    }

    static func reasonsJSON(_ reasons: [PolicyOverrideReason]) -> String {
        JSONValue.array(reasons.map { .object([("type", .string($0.type)), ("comment", .optional($0.comment))]) })
            .serialized()
    }

    /// Adds sorted rollup sums to `daily_rollup`, 64 rows a statement, binding the text fields
    /// straight from the encoded keys (which stay in `rows` until each statement has run).
    func upsertRollup(_ rows: RollupRows) throws {
        guard !rows.isEmpty else { return }
        var s = try upsertStatement(rows: min(Self.rowsPerStatement, rows.count))
        try s.bind(domain, at: 1)
        var i: Int32 = 2
        var pending = 0
        var left = rows.count
        // Rows come in key order, so a day's rows are together: its totals are summed here and
        // added to `dayTotals` when the day changes.
        var day: Int64?
        var totals = DayTotals()
        try rows.forEach { key, messages in
            let rowDay = RollupKeyCoding.day(key)
            if rowDay != day {
                if let day { dayTotals[day, default: DayTotals()].add(totals) }
                day = rowDay
                totals = DayTotals()
            }
            var outcome = DayTotals.Outcome()
            try s.bind(rowDay, at: i)
            try RollupKeyCoding.forEachField(key) { n, bytes, inKey in
                if inKey {
                    try s.bind(borrowedText: bytes, at: i + 1 + Int32(n))
                } else {
                    try s.bind(text: bytes, at: i + 1 + Int32(n))
                }
                outcome.note(field: n, bytes)
            }
            try s.bind(outcome.dkimPass || outcome.spfPass ? 1 : 0, at: i + 6)
            try s.bind(messages, at: i + 7)
            totals.add(outcome, messages: messages)
            i += 8
            pending += 1
            left -= 1
            if pending == Self.rowsPerStatement || left == 0 {
                try s.execute()
                pending = 0
                i = 2
                if left > 0 {
                    s = try upsertStatement(rows: min(Self.rowsPerStatement, left))
                    try s.bind(domain, at: 1)
                }
            }
        }
        if let day { dayTotals[day, default: DayTotals()].add(totals) }
    }

    func flushDayTotals() throws {
        let s = try db.prepare(
            """
            INSERT INTO domain_daily (domain, day, messages, dmarc_pass, dkim_pass, spf_pass, both_fail, quarantined, rejected)
            VALUES (?,?,?,?,?,?,?,?,?)
            ON CONFLICT (domain, day) DO UPDATE SET messages = messages + excluded.messages,
              dmarc_pass = dmarc_pass + excluded.dmarc_pass, dkim_pass = dkim_pass + excluded.dkim_pass,
              spf_pass = spf_pass + excluded.spf_pass, both_fail = both_fail + excluded.both_fail,
              quarantined = quarantined + excluded.quarantined, rejected = rejected + excluded.rejected
            """)
        for (day, t) in dayTotals.sorted(by: { $0.key < $1.key }) {
            try s.run([
                .text(domain), .integer(day), .integer(t.messages), .integer(t.dmarcPass), .integer(t.dkimPass),
                .integer(t.spfPass), .integer(t.bothFail), .integer(t.quarantined), .integer(t.rejected),
            ])
        }
        dayTotals.removeAll()
    }

    private func upsertStatement(rows: Int) throws -> SQLiteStatement {
        let key = "rollup/\(rows)"
        if let s = statements[key] { return s }
        // The domain is one parameter, ?1, shared by every row; row r has ?(2+8r) to ?(9+8r).
        let values = (0..<rows).map { r in
            let b = 2 + 8 * r
            return "(?\(b),?1," + (b + 1...b + 7).map { "?\($0)" }.joined(separator: ",") + ")"
        }
        let s = try db.prepare(
            """
            INSERT INTO daily_rollup (day, domain, source_ip, header_from, disposition, dkim, spf, dmarc_pass, messages)
            VALUES \(values.joined(separator: ","))
            ON CONFLICT (domain, day, source_ip, header_from, disposition, dkim, spf)
            DO UPDATE SET messages = messages + excluded.messages
            """)
        statements[key] = s
        return s
    }
}

@available(*, unavailable)
extension RecordInserter: Sendable {}

/// One day's totals of a report, as `domain_daily` sums them.
struct DayTotals {
    var messages: Int64 = 0
    var dmarcPass: Int64 = 0
    var dkimPass: Int64 = 0
    var spfPass: Int64 = 0
    var bothFail: Int64 = 0
    var quarantined: Int64 = 0
    var rejected: Int64 = 0

    /// What one rollup row's key says, as far as these totals care.
    struct Outcome {
        var dkimPass = false
        var spfPass = false
        var quarantined = false
        var rejected = false

        /// Notes field `n` of a rollup key (0 source IP, 1 header_from, 2 disposition, 3 dkim, 4 spf).
        mutating func note(field n: Int, _ bytes: UnsafeRawBufferPointer) {
            switch n {
            case 2:
                quarantined = Self.equal(bytes, "quarantine")
                rejected = Self.equal(bytes, "reject")
            case 3: dkimPass = Self.equal(bytes, "pass")
            case 4: spfPass = Self.equal(bytes, "pass")
            default: break
            }
        }

        @inline(__always)
        private static func equal(_ bytes: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
            bytes.count == word.utf8CodeUnitCount && memcmp(bytes.baseAddress!, word.utf8Start, bytes.count) == 0
        }
    }

    mutating func add(_ other: DayTotals) {
        messages += other.messages
        dmarcPass += other.dmarcPass
        dkimPass += other.dkimPass
        spfPass += other.spfPass
        bothFail += other.bothFail
        quarantined += other.quarantined
        rejected += other.rejected
    }

    mutating func add(_ o: Outcome, messages n: Int64) {
        messages += n
        if o.dkimPass || o.spfPass { dmarcPass += n } else { bothFail += n }
        if o.dkimPass { dkimPass += n }
        if o.spfPass { spfPass += n }
        if o.quarantined { quarantined += n }
        if o.rejected { rejected += n }
    }
}

/// The first error met on the writer queue, read by the parsing thread.
private final class FailureSlot: Sendable {
    let value = Mutex<String?>(nil)

    /// Throws the error the writer queue met, if it met one.
    func check() throws {
        if let message = value.withLock({ $0 }) { throw SQLiteError(code: 1, message: message, sql: nil) }
    }
}
