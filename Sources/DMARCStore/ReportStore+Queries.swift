import DMARCCore

/// Totals for one policy domain over a period (the `summary` command).
public struct DomainSummary: Sendable, Equatable {
    public var domain: String
    public var reports = 0
    public var reporters = 0
    public var records = 0
    public var messages: Int64 = 0
    public var dmarcPass: Int64 = 0
    public var dkimPass: Int64 = 0
    public var spfPass: Int64 = 0
    public var bothFail: Int64 = 0
    /// Messages per disposition; `none`, `quarantine` and `reject` are always present.
    public var disposition: [String: Int64] = ["none": 0, "quarantine": 0, "reject": 0]

    public init(domain: String) { self.domain = domain }
}

/// One stored report, for listings.
public struct ReportListing: Sendable, Equatable {
    public var id: Int64
    public var reporter: String
    public var email: String?
    public var reportID: String
    public var domain: String
    public var begin: Int64
    public var end: Int64
    public var flavour: String
    public var records: Int
    public var messages: Int64
    public var policy: String?
    public var warnings: Int
    public var source: String
}

/// A period and domain filter shared by the queries. Days are UTC day numbers, inclusive.
public struct ReportFilter: Sendable {
    public var domains: [String]?
    public var fromDay: Int64?
    public var toDay: Int64?

    public init(domains: [String]? = nil, fromDay: Int64? = nil, toDay: Int64? = nil) {
        self.domains = domains
        self.fromDay = fromDay
        self.toDay = toDay
    }

    /// SQL conditions on a table with `domain` and `day` columns, and their values.
    func conditions(prefix: String = "") -> (String, [SQLiteValue?]) {
        var parts: [String] = ["1=1"]
        var values: [SQLiteValue?] = []
        if let domains {
            parts.append("\(prefix)domain IN (\(domains.map { _ in "?" }.joined(separator: ",")))")
            values += domains.map { .text($0.lowercased()) }
        }
        if let fromDay {
            parts.append("\(prefix)day >= ?")
            values.append(.integer(fromDay))
        }
        if let toDay {
            parts.append("\(prefix)day <= ?")
            values.append(.integer(toDay))
        }
        return (parts.joined(separator: " AND "), values)
    }
}

extension ReportStore {
    /// `a + b`, Int64.max when that overflows (counts come from hostile reports).
    static func saturatingSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (v, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int64.max : v
    }

    /// Per-domain totals. Message counts come from the daily rollup (so a period counts exactly
    /// the messages assigned to its days); report and record counts from the reports whose
    /// interval midpoint falls in the period.
    /// Sums are TOTAL(), SQLite's floating-point sum, read back clamped to Int64: SUM() fails
    /// with "integer overflow" on the counts a hostile report can claim, and TOTAL() is exact
    /// below 2^53.
    public func summary(_ filter: ReportFilter) throws -> [DomainSummary] {
        var byDomain: [String: DomainSummary] = [:]
        let (cond, values) = filter.conditions()
        try db.prepare(
            """
            SELECT domain, COUNT(*), COUNT(DISTINCT reporter), SUM(record_count) FROM reports WHERE \(cond) GROUP BY domain
            """
        ).query(values) { row in
            let domain = row.text(0) ?? ""
            var s = byDomain[domain] ?? DomainSummary(domain: domain)
            s.reports = row.int(1)
            s.reporters = row.int(2)
            s.records = row.int(3)
            byDomain[domain] = s
        }
        try db.prepare(
            """
            SELECT domain, disposition, TOTAL(messages),
                   TOTAL(CASE WHEN dmarc_pass = 1 THEN messages ELSE 0 END),
                   TOTAL(CASE WHEN dkim = 'pass' THEN messages ELSE 0 END),
                   TOTAL(CASE WHEN spf = 'pass' THEN messages ELSE 0 END),
                   TOTAL(CASE WHEN dkim != 'pass' AND spf != 'pass' THEN messages ELSE 0 END)
            FROM daily_rollup WHERE \(cond) GROUP BY domain, disposition
            """
        ).query(values) { row in
            let domain = row.text(0) ?? ""
            var s = byDomain[domain] ?? DomainSummary(domain: domain)
            let disposition = row.text(1) ?? ""
            s.disposition[disposition] = Self.saturatingSum(s.disposition[disposition] ?? 0, row.int64(2))
            s.messages = Self.saturatingSum(s.messages, row.int64(2))
            s.dmarcPass = Self.saturatingSum(s.dmarcPass, row.int64(3))
            s.dkimPass = Self.saturatingSum(s.dkimPass, row.int64(4))
            s.spfPass = Self.saturatingSum(s.spfPass, row.int64(5))
            s.bothFail = Self.saturatingSum(s.bothFail, row.int64(6))
            byDomain[domain] = s
        }
        return byDomain.values.sorted { $0.domain < $1.domain }
    }

    /// The condition for a reporter filter: the reporter's name contains `text`, ignoring case
    /// (ASCII letters; SQLite's LIKE), with `%`, `_` and `\` in the text taken literally.
    static func reporterCondition(_ text: String) -> (String, SQLiteValue) {
        var escaped = ""
        for c in text {
            if c == "%" || c == "_" || c == "\\" { escaped.append("\\") }
            escaped.append(c)
        }
        return (" AND r.reporter LIKE ? ESCAPE '\\'", .text("%" + escaped + "%"))
    }

    /// How many reports `filter` and `reporter` (a part of the reporter's name, any case) select.
    public func reportCount(_ filter: ReportFilter, reporter: String? = nil) throws -> Int {
        var (cond, values) = filter.conditions(prefix: "r.")
        if let reporter {
            let (c, v) = Self.reporterCondition(reporter)
            cond += c
            values.append(v)
        }
        return Int(try db.prepare("SELECT COUNT(*) FROM reports r WHERE \(cond)").scalar(values) ?? 0)
    }

    /// The reporters of the reports in `domains` (nil: all), for suggestions.
    public func knownReporters(domains: [String]?, limit: Int = 200) throws -> [String] {
        let (cond, values) = ReportFilter(domains: domains).conditions()
        var out: [String] = []
        try db.prepare("SELECT DISTINCT reporter FROM reports WHERE \(cond) ORDER BY reporter LIMIT ?").query(
            values + [.int(limit)]
        ) { out.append($0.text(0) ?? "") }
        return out
    }

    /// Stored reports, newest first: `limit` of them after skipping `offset`. `reporter` is a
    /// part of the reporter's name, in any case.
    public func reports(_ filter: ReportFilter, reporter: String? = nil, limit: Int = 1000, offset: Int = 0) throws
        -> [ReportListing]
    {
        var (cond, values) = filter.conditions(prefix: "r.")
        if let reporter {
            let (c, v) = Self.reporterCondition(reporter)
            cond += c
            values.append(v)
        }
        var out: [ReportListing] = []
        try db.prepare(
            """
            SELECT r.id, r.reporter, r.email, r.report_id, r.domain, r.begin_ts, r.end_ts, r.flavour, r.record_count,
                   r.message_count, r.p, COALESCE(json_array_length(r.warnings), 0), COALESCE(d.origin, '')
            FROM reports r LEFT JOIN raw_documents d ON d.id = r.raw_document_id
            WHERE \(cond) ORDER BY r.begin_ts DESC, r.id DESC LIMIT ? OFFSET ?
            """
        ).query(values + [.int(limit), .int(max(offset, 0))]) { row in
            out.append(
                ReportListing(
                    id: row.int64(0), reporter: row.text(1) ?? "", email: row.text(2), reportID: row.text(3) ?? "",
                    domain: row.text(4) ?? "", begin: row.int64(5), end: row.int64(6), flavour: row.text(7) ?? "",
                    records: row.int(8), messages: row.int64(9), policy: row.text(10), warnings: row.int(11),
                    source: row.text(12) ?? ""))
        }
        return out
    }

    /// Counts of raw documents by status.
    public func rawDocumentCounts() throws -> [String: Int] {
        var out: [String: Int] = [:]
        try db.prepare("SELECT status, COUNT(*) FROM raw_documents GROUP BY status").query { row in
            out[row.text(0) ?? ""] = row.int(1)
        }
        return out
    }
}
