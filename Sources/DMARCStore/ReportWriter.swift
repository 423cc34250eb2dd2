import DMARCCore

/// Stores one aggregate report as the parser streams it: a transaction opened in `begin`,
/// committed in `finish`, rolled back in `abort`. Daily rollup rows are summed in memory and
/// written in batches, so memory stays bounded however many records the report has.
public final class ReportWriter: AggregateReportSink {
    private let store: ReportStore
    private let rawDocumentID: Int64?
    private let sourceName: String?
    private var reportRowID: Int64?
    private var header = AggregateReportHeader()
    private var days: [(day: Int64, fraction: (Int64, Int64))] = []
    private var insertRecord: SQLiteStatement?
    private var insertDKIM: SQLiteStatement?
    private var insertSPF: SQLiteStatement?
    private var rollup: [RollupKey: Int64] = [:]
    private static let rollupBatch = 20_000

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
            reportRowID = db.lastInsertRowID
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
        } catch {
            abort()
            throw error
        }
        return true
    }

    public func record(_ r: AggregateRecord) throws {
        guard let reportRowID, let insertRecord, let insertDKIM, let insertSPF else { return }
        let ipBytes = IPAddress(r.sourceIP)?.bytes ?? []
        let reasons: String? =
            r.reasons.isEmpty
            ? nil
            : "[" + r.reasons.map { "{\"type\":\(JSONText.string($0.type)),\"comment\":\($0.comment.map(JSONText.string) ?? "null")}" }
                .joined(separator: ",") + "]"
        try insertRecord.run([
            .integer(reportRowID), .text(r.sourceIP), .blob(ipBytes), .integer(r.count), .optText(r.disposition),
            .optText(r.dkim), .optText(r.spf), .optText(reasons), .optText(r.headerFrom), .optText(r.envelopeFrom),
            .optText(r.envelopeTo), .bool(r.dmarcPass), .bool(r.dkimAligned), .bool(r.spfAligned),
        ])
        let recordID = db.lastInsertRowID
        for (i, d) in r.dkimResults.enumerated() {
            try insertDKIM.run([
                .integer(recordID), .int(i), .optText(d.domain), .optText(d.selector), .optText(d.result), .optText(d.humanResult),
            ])
        }
        for (i, s) in r.spfResults.enumerated() {
            try insertSPF.run([
                .integer(recordID), .int(i), .optText(s.domain), .optText(s.scope), .optText(s.result), .optText(s.humanResult),
            ])
        }
        recordCount += 1
        messageCount += r.count
        let begin = header.metadata.begin ?? 0
        let end = header.metadata.end ?? begin
        let domain = (header.policy.domain ?? "").lowercased()
        for share in DayMath.spread(count: r.count, begin: begin, end: end) {
            let key = RollupKey(
                day: share.day, domain: domain, sourceIP: r.sourceIP, headerFrom: (r.headerFrom ?? "").lowercased(),
                disposition: r.disposition ?? "", dkim: r.dkim ?? "", spf: r.spf ?? "", dmarcPass: r.dmarcPass)
            rollup[key, default: 0] += share.count
        }
        if rollup.count >= Self.rollupBatch { try flushRollup() }
    }

    private func flushRollup() throws {
        guard !rollup.isEmpty else { return }
        let upsert = try db.prepare(
            """
            INSERT INTO daily_rollup (day, domain, source_ip, header_from, disposition, dkim, spf, dmarc_pass, messages)
            VALUES (?,?,?,?,?,?,?,?,?)
            ON CONFLICT (domain, day, source_ip, header_from, disposition, dkim, spf)
            DO UPDATE SET messages = messages + excluded.messages
            """)
        // Sorted in primary-key order, so the B-tree is written front to back.
        let keys = rollup.keys.sorted {
            ($0.domain, $0.day, $0.sourceIP, $0.headerFrom) < ($1.domain, $1.day, $1.sourceIP, $1.headerFrom)
        }
        for k in keys {
            let messages = rollup[k]!
            try upsert.run([
                .integer(k.day), .text(k.domain), .text(k.sourceIP), .text(k.headerFrom), .text(k.disposition),
                .text(k.dkim), .text(k.spf), .bool(k.dmarcPass), .integer(messages),
            ])
        }
        rollup.removeAll(keepingCapacity: true)
    }

    public func finish(_ header: AggregateReportHeader) throws {
        guard let reportRowID else { return }
        do {
            try flushRollup()
            let m = header.metadata
            try db.prepare(
                "UPDATE reports SET record_count = ?, message_count = ?, warnings = ?, errors = ?, generator = ?, extra_contact_info = ?, flavour = ? WHERE id = ?"
            ).run([
                .int(recordCount), .integer(messageCount),
                header.warnings.isEmpty ? nil : .text(JSONText.array(header.warnings.map(\.description))),
                m.errors.isEmpty ? nil : .text(JSONText.array(m.errors)), .optText(m.generator),
                .optText(m.extraContactInfo), .text(header.flavour.rawValue), .integer(reportRowID),
            ])
            insertRecord = nil
            insertDKIM = nil
            insertSPF = nil
            try db.execute("COMMIT")
            self.reportRowID = nil
        } catch {
            abort()
            throw error
        }
    }

    public func abort() {
        guard reportRowID != nil || insertRecord != nil else { return }
        insertRecord = nil
        insertDKIM = nil
        insertSPF = nil
        rollup.removeAll()
        reportRowID = nil
        recordCount = 0
        messageCount = 0
        try? db.execute("ROLLBACK")
    }
}

@available(*, unavailable)
extension ReportWriter: Sendable {}

struct RollupKey: Hashable {
    var day: Int64
    var domain: String
    var sourceIP: String
    var headerFrom: String
    var disposition: String
    var dkim: String
    var spf: String
    var dmarcPass: Bool
}
