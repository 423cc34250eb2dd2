import DMARCCore

/// Message totals of one domain on one day, or summed over a period.
public struct Totals: Sendable, Equatable {
    public var messages: Int64 = 0
    public var dmarcPass: Int64 = 0
    public var dkimPass: Int64 = 0
    public var spfPass: Int64 = 0
    public var bothFail: Int64 = 0
    public var quarantined: Int64 = 0
    public var rejected: Int64 = 0

    public init() {}

    /// Adds another's counts, saturating: hostile reports may claim counts near 2^40 per record.
    public mutating func add(_ o: Totals) {
        func sum(_ a: Int64, _ b: Int64) -> Int64 {
            let (v, overflow) = a.addingReportingOverflow(b)
            return overflow ? Int64.max : v
        }
        messages = sum(messages, o.messages)
        dmarcPass = sum(dmarcPass, o.dmarcPass)
        dkimPass = sum(dkimPass, o.dkimPass)
        spfPass = sum(spfPass, o.spfPass)
        bothFail = sum(bothFail, o.bothFail)
        quarantined = sum(quarantined, o.quarantined)
        rejected = sum(rejected, o.rejected)
    }
}

/// A domain's totals per day over a period.
public struct DomainSeries: Sendable {
    public var domain: String
    public var total = Totals()
    public var days: [Int64: Totals] = [:]

    public init(domain: String) { self.domain = domain }
}

/// One sending address of a domain over a period, as the domain page lists it.
public struct SourceSummary: Sendable, Equatable {
    public var ip: String
    public var totals = Totals()
    public var ptr: String?
    public var baseDomain: String?
    public var forwardConfirmed = false
    /// The header From domains seen from this address.
    public var headerFroms: [String] = []
}

/// The policy a domain published, as the newest report for it states.
public struct PublishedPolicy: Sendable, Equatable {
    public var domain: String
    public var p, sp, np, adkim, aspf, fo, testing: String?
    public var pct: Int?
    public var reporter: String
    public var reportEnd: Int64
}

/// One record with its authentication results, for the source and report pages.
public struct RecordDetail: Sendable, Equatable {
    public var id: Int64
    public var reportID: Int64
    public var reporter: String
    public var domain: String
    public var begin: Int64
    public var end: Int64
    public var sourceIP: String
    public var count: Int64
    public var disposition: String?
    public var dkim: String?
    public var spf: String?
    public var headerFrom: String?
    public var envelopeFrom: String?
    public var envelopeTo: String?
    public var reasons: [PolicyOverrideReason] = []
    public var dkimResults: [DKIMAuthResult] = []
    public var spfResults: [SPFAuthResult] = []
}

/// What one address sent in a period: totals and days from the rollup, and its records.
public struct SourceActivity: Sendable {
    /// The newest records, at most the limit asked for.
    public var records: [RecordDetail] = []
    /// How many records there are in all (more than `records.count` when capped).
    public var recordCount = 0
    public var days: [Int64: Totals] = [:]
    public var total = Totals()

    public init() {}
}

/// Everything a stored report says, for its detail page.
public struct ReportDetail: Sendable {
    public var listing: ReportListing
    public var orgName: String?
    public var extraContactInfo: String?
    public var generator: String?
    public var errors: [String]
    public var warnings: [String]
    public var policy: PublishedPolicy
    public var rawDocumentID: Int64?
    public var records: [RecordDetail]
}

extension ReportStore {
    /// Daily totals per domain from `domain_daily` (a row per domain and day: cheap at any volume).
    /// `domains` nil means every domain.
    public func domainSeries(domains: [String]?, fromDay: Int64, toDay: Int64) throws -> [DomainSeries] {
        let filter = ReportFilter(domains: domains, fromDay: fromDay, toDay: toDay)
        let (cond, values) = filter.conditions()
        var out: [String: DomainSeries] = [:]
        try db.prepare(
            """
            SELECT domain, day, messages, dmarc_pass, dkim_pass, spf_pass, both_fail, quarantined, rejected
            FROM domain_daily WHERE \(cond)
            """
        ).query(values) { row in
            let domain = row.text(0) ?? ""
            var t = Totals()
            t.messages = row.int64(2)
            t.dmarcPass = row.int64(3)
            t.dkimPass = row.int64(4)
            t.spfPass = row.int64(5)
            t.bothFail = row.int64(6)
            t.quarantined = row.int64(7)
            t.rejected = row.int64(8)
            var series = out[domain] ?? DomainSeries(domain: domain)
            series.days[row.int64(1), default: Totals()].add(t)
            series.total.add(t)
            out[domain] = series
        }
        return out.values.sorted { $0.domain < $1.domain }
    }

    /// The newest day with messages in the domains visible (nil: all).
    public func latestDay(domains: [String]?) throws -> Int64? {
        let (cond, values) = ReportFilter(domains: domains).conditions()
        var out: Int64?
        try db.prepare("SELECT MAX(day) FROM domain_daily WHERE \(cond)").query(values) { out = $0.int64Optional(0) }
        return out
    }

    /// Every domain with data or registered, that `domains` allows (nil: all).
    public func knownDomains(visible domains: [String]?) throws -> [String] {
        var names = Set<String>()
        try db.prepare("SELECT DISTINCT domain FROM domain_daily").query { names.insert($0.text(0) ?? "") }
        try db.prepare("SELECT name FROM domains").query { names.insert($0.text(0) ?? "") }
        if let domains { names.formIntersection(domains) }
        return names.filter { !$0.isEmpty }.sorted()
    }

    /// The sources of one domain over a period, by address, from the daily rollup (or from the
    /// records when a reporter is chosen, since the rollup does not keep the reporter).
    public func domainSources(domain: String, fromDay: Int64, toDay: Int64, reporter: String? = nil) throws
        -> [SourceSummary]
    {
        var out: [String: SourceSummary] = [:]
        func add(_ ip: String, _ headerFrom: String, _ disposition: String, _ dkim: String, _ spf: String, _ n: Int64) {
            var s = out[ip] ?? SourceSummary(ip: ip)
            var t = Totals()
            t.messages = n
            let dkimPass = dkim == "pass"
            let spfPass = spf == "pass"
            if dkimPass || spfPass { t.dmarcPass = n } else { t.bothFail = n }
            if dkimPass { t.dkimPass = n }
            if spfPass { t.spfPass = n }
            if disposition == "quarantine" { t.quarantined = n }
            if disposition == "reject" { t.rejected = n }
            s.totals.add(t)
            if !headerFrom.isEmpty, !s.headerFroms.contains(headerFrom), s.headerFroms.count < 5 {
                s.headerFroms.append(headerFrom)
            }
            out[ip] = s
        }
        if let reporter {
            try db.prepare(
                """
                SELECT c.source_ip, COALESCE(c.header_from, ''), COALESCE(c.disposition, ''), COALESCE(c.dkim, ''),
                       COALESCE(c.spf, ''), TOTAL(c.count)
                FROM reports r JOIN records c ON c.id BETWEEN r.first_record_id AND r.first_record_id + r.record_count - 1
                WHERE r.domain = ? AND r.day BETWEEN ? AND ? AND r.reporter = ?
                GROUP BY 1, 2, 3, 4, 5
                """
            ).query([.text(domain), .integer(fromDay), .integer(toDay), .text(reporter)]) { row in
                add(
                    row.text(0) ?? "", row.text(1) ?? "", row.text(2) ?? "", row.text(3) ?? "", row.text(4) ?? "",
                    row.int64(5))
            }
        } else {
            try db.prepare(
                """
                SELECT source_ip, header_from, disposition, dkim, spf, messages FROM daily_rollup
                WHERE domain = ? AND day BETWEEN ? AND ?
                """
            ).query([.text(domain), .integer(fromDay), .integer(toDay)]) { row in
                add(
                    row.text(0) ?? "", row.text(1) ?? "", row.text(2) ?? "", row.text(3) ?? "", row.text(4) ?? "",
                    row.int64(5))
            }
        }
        try attachIPInfo(&out)
        return out.values.sorted { ($0.totals.messages, $1.ip) > ($1.totals.messages, $0.ip) }
    }

    private func attachIPInfo(_ sources: inout [String: SourceSummary]) throws {
        guard !sources.isEmpty else { return }
        // One lookup per address through the primary key; a join would scan ip_info.
        let s = try db.prepare("SELECT ptr, base_domain, forward_confirmed FROM ip_info WHERE ip = ?")
        for ip in sources.keys {
            try s.query([.text(ip)]) { row in
                sources[ip]?.ptr = row.text(0)
                sources[ip]?.baseDomain = row.text(1)
                sources[ip]?.forwardConfirmed = row.int64(2) != 0
            }
        }
    }

    /// The reporters that sent reports for a domain in a period, for the filter.
    public func reporters(domain: String, fromDay: Int64, toDay: Int64) throws -> [String] {
        var out: [String] = []
        try db.prepare(
            "SELECT DISTINCT reporter FROM reports WHERE domain = ? AND day BETWEEN ? AND ? ORDER BY reporter"
        ).query([.text(domain), .integer(fromDay), .integer(toDay)]) { out.append($0.text(0) ?? "") }
        return out
    }

    /// The policy in the newest report for `domain`; reports dated in the future (a forged one
    /// could claim 2199) do not count.
    public func publishedPolicy(domain: String) throws -> PublishedPolicy? {
        var out: PublishedPolicy?
        try db.prepare(
            """
            SELECT domain, p, sp, np, adkim, aspf, fo, testing, pct, reporter, end_ts FROM reports
            WHERE domain = ? AND end_ts <= ? ORDER BY end_ts DESC, id DESC LIMIT 1
            """
        ).query([.text(domain), .integer(Self.now() + 2 * 86_400)]) { out = Self.policy($0) }
        return out
    }

    static func policy(_ row: SQLiteRow, from i: Int32 = 0) -> PublishedPolicy {
        PublishedPolicy(
            domain: row.text(i) ?? "", p: row.text(i + 1), sp: row.text(i + 2), np: row.text(i + 3),
            adkim: row.text(i + 4), aspf: row.text(i + 5), fo: row.text(i + 6), testing: row.text(i + 7),
            pct: row.int64Optional(i + 8).map { Int($0) }, reporter: row.text(i + 9) ?? "", reportEnd: row.int64(i + 10)
        )
    }

    /// Every record from `ip` in the period, in the domains visible (nil: all), newest first,
    /// at most `limit` of them.
    public func sourceRecords(ip: String, domains visible: [String]?, fromDay: Int64, toDay: Int64, limit: Int = 2000)
        throws -> [RecordDetail]
    {
        try sourceActivity(ip: ip, domains: visible, fromDay: fromDay, toDay: toDay, limit: limit).records
    }

    /// The rollup rows of one address (the first parameter) on the domain-days `cond` selects.
    /// CROSS JOIN keeps domain_daily outside, so each of its rows is one key lookup in the rollup;
    /// the `+` stops SQLite from carrying the day range over to the rollup, which would make it
    /// scan the whole range for every day (a test checks the plan).
    static func sourceRollupSQL(_ cond: String) -> String {
        """
        SELECT r.domain, r.day, r.disposition, r.dkim, r.spf, r.messages
        FROM domain_daily d CROSS JOIN daily_rollup r ON r.domain = d.domain AND r.day = +d.day AND r.source_ip = ?
        WHERE \(cond)
        """
    }

    /// What `ip` sent in the period, in the domains visible (nil: all): totals and messages per
    /// day from the rollup (so they count every message however many records there are), and
    /// the newest `limit` records with how many there are in all.
    ///
    /// One query finds the days the address sent on: `domain_daily` gives the domain-days with
    /// data, and each is one lookup by key in `daily_rollup` inside SQLite. Only the reports
    /// covering those days are then read, each over its own record range, newest first.
    public func sourceActivity(ip: String, domains visible: [String]?, fromDay: Int64, toDay: Int64, limit: Int = 2000)
        throws -> SourceActivity
    {
        var activity = SourceActivity()
        var daysByDomain: [String: Set<Int64>] = [:]
        let (cond, values) = ReportFilter(domains: visible, fromDay: fromDay, toDay: toDay).conditions(prefix: "d.")
        try db.prepare(Self.sourceRollupSQL(cond)).query([.text(ip)] + values) { row in
            let day = row.int64(1)
            daysByDomain[row.text(0) ?? "", default: []].insert(day)
            let n = row.int64(5)
            var t = Totals()
            t.messages = n
            let dkimPass = row.text(3) == "pass"
            let spfPass = row.text(4) == "pass"
            if dkimPass || spfPass { t.dmarcPass = n } else { t.bothFail = n }
            if dkimPass { t.dkimPass = n }
            if spfPass { t.spfPass = n }
            if row.text(2) == "quarantine" { t.quarantined = n }
            if row.text(2) == "reject" { t.rejected = n }
            activity.days[day, default: Totals()].add(t)
            activity.total.add(t)
        }
        // Reports whose interval touches the days (a report counts on the days it covers).
        let reports = try db.prepare(
            """
            SELECT id, first_record_id, record_count, begin_ts, end_ts FROM reports
            WHERE domain = ? AND day BETWEEN ? AND ? AND first_record_id IS NOT NULL
            """)
        var candidates: [(id: Int64, first: Int64, count: Int64, begin: Int64)] = []
        for (domain, days) in daysByDomain {
            guard let first = days.min(), let last = days.max() else { continue }
            // A report's midpoint day is at most a year from the days it spreads over.
            try reports.query([.text(domain), .integer(first - 366), .integer(last + 366)]) { row in
                let begin = DayMath.day(of: row.int64(3))
                let end = DayMath.day(of: max(row.int64(4) - 1, row.int64(3)))
                if days.contains(where: { $0 >= begin && $0 <= end })
                    || days.contains(DayMath.day(of: (row.int64(3) + row.int64(4)) / 2))
                {
                    candidates.append((row.int64(0), row.int64(1), row.int64(2), row.int64(3)))
                }
            }
        }
        // Newest reports first, so the records kept are the newest; the rest are only counted.
        candidates.sort { ($0.begin, $0.id) > ($1.begin, $1.id) }
        let records = try db.prepare(
            """
            SELECT c.id, r.id, r.reporter, r.domain, r.begin_ts, r.end_ts, c.source_ip, c.count, c.disposition, c.dkim,
                   c.spf, c.header_from, c.envelope_from, c.envelope_to, c.reasons
            FROM records c JOIN reports r ON r.id = ? WHERE c.id BETWEEN ? AND ? AND c.source_ip = ?
            """)
        let count = try db.prepare("SELECT COUNT(*) FROM records WHERE id BETWEEN ? AND ? AND source_ip = ?")
        var out: [RecordDetail] = []
        var total = 0
        for c in candidates {
            let range: [SQLiteValue?] = [.integer(c.first), .integer(c.first + c.count - 1), .text(ip)]
            if out.count < limit {
                let before = out.count
                try records.query([.integer(c.id)] + range) { out.append(Self.recordDetail($0)) }
                total += out.count - before
            } else {
                total += Int(try count.scalar(range) ?? 0)
            }
        }
        out.sort { ($0.begin, $0.id) > ($1.begin, $1.id) }
        if out.count > limit { out.removeLast(out.count - limit) }
        try attachAuthResults(&out)
        activity.records = out
        activity.recordCount = total
        return activity
    }

    static func recordDetail(_ row: SQLiteRow) -> RecordDetail {
        var d = RecordDetail(
            id: row.int64(0), reportID: row.int64(1), reporter: row.text(2) ?? "", domain: row.text(3) ?? "",
            begin: row.int64(4), end: row.int64(5), sourceIP: row.text(6) ?? "", count: row.int64(7),
            disposition: row.text(8), dkim: row.text(9), spf: row.text(10), headerFrom: row.text(11),
            envelopeFrom: row.text(12), envelopeTo: row.text(13))
        d.reasons = decodeReasons(row.text(14))
        return d
    }

    private func attachAuthResults(_ records: inout [RecordDetail]) throws {
        let dkim = try db.prepare(
            "SELECT domain, selector, result, human_result FROM record_dkim WHERE record_id = ? ORDER BY seq")
        let spf = try db.prepare(
            "SELECT domain, scope, result, human_result FROM record_spf WHERE record_id = ? ORDER BY seq")
        for i in records.indices {
            try dkim.query([.integer(records[i].id)]) { row in
                records[i].dkimResults.append(
                    DKIMAuthResult(
                        domain: row.text(0), selector: row.text(1), result: row.text(2), humanResult: row.text(3)))
            }
            try spf.query([.integer(records[i].id)]) { row in
                records[i].spfResults.append(
                    SPFAuthResult(
                        domain: row.text(0), scope: row.text(1), result: row.text(2), humanResult: row.text(3)))
            }
        }
    }

    /// One report with its first `recordLimit` records.
    public func reportDetail(id: Int64, recordLimit: Int = 1000) throws -> ReportDetail? {
        var detail: ReportDetail?
        var firstRecord: Int64?
        try db.prepare(
            """
            SELECT r.id, r.reporter, r.email, r.report_id, r.domain, r.begin_ts, r.end_ts, r.flavour, r.record_count,
                   r.message_count, r.p, COALESCE(json_array_length(r.warnings), 0), COALESCE(d.origin, ''),
                   r.org_name, r.extra_contact_info, r.generator, r.errors, r.warnings, r.raw_document_id,
                   r.domain, r.p, r.sp, r.np, r.adkim, r.aspf, r.fo, r.testing, r.pct, r.reporter, r.end_ts,
                   r.first_record_id
            FROM reports r LEFT JOIN raw_documents d ON d.id = r.raw_document_id WHERE r.id = ?
            """
        ).query([.integer(id)]) { row in
            let listing = ReportListing(
                id: row.int64(0), reporter: row.text(1) ?? "", email: row.text(2), reportID: row.text(3) ?? "",
                domain: row.text(4) ?? "", begin: row.int64(5), end: row.int64(6), flavour: row.text(7) ?? "",
                records: row.int(8), messages: row.int64(9), policy: row.text(10), warnings: row.int(11),
                source: row.text(12) ?? "")
            detail = ReportDetail(
                listing: listing, orgName: row.text(13), extraContactInfo: row.text(14), generator: row.text(15),
                errors: Self.decodeList(row.text(16)), warnings: Self.decodeList(row.text(17)),
                policy: Self.policy(row, from: 19), rawDocumentID: row.int64Optional(18), records: [])
            firstRecord = row.int64Optional(30)
        }
        guard var d = detail else { return nil }
        if let first = firstRecord {
            let count = min(d.listing.records, recordLimit)
            try db.prepare(
                """
                SELECT c.id, r.id, r.reporter, r.domain, r.begin_ts, r.end_ts, c.source_ip, c.count, c.disposition,
                       c.dkim, c.spf, c.header_from, c.envelope_from, c.envelope_to, c.reasons
                FROM records c JOIN reports r ON r.id = c.report_id WHERE c.id BETWEEN ? AND ? ORDER BY c.id
                """
            ).query([.integer(first), .integer(first + Int64(count) - 1)]) { d.records.append(Self.recordDetail($0)) }
            try attachAuthResults(&d.records)
        }
        return d
    }

    /// The domain a report is for, to check access before anything else is read.
    public func reportDomain(id: Int64) throws -> String? {
        var out: String?
        try db.prepare("SELECT domain FROM reports WHERE id = ?").query([.integer(id)]) { out = $0.text(0) }
        return out
    }

    /// The domains of the reports stored from a raw document, and whether those reports are all
    /// it held: a document with a duplicate, a TLS report or a part that failed may also hold
    /// other domains' data, which a member must not download.
    public func rawDocumentDomains(id: Int64) throws -> (domains: [String], complete: Bool) {
        var out: [String] = []
        try db.prepare("SELECT DISTINCT domain FROM reports WHERE raw_document_id = ?").query([.integer(id)]) {
            out.append($0.text(0) ?? "")
        }
        let stored =
            try db.prepare("SELECT COUNT(*) FROM reports WHERE raw_document_id = ?").scalar([.integer(id)]) ?? 0
        var complete = false
        try db.prepare("SELECT report_count, status FROM raw_documents WHERE id = ?").query([.integer(id)]) { row in
            complete = row.int64(0) == stored && row.text(1) == "parsed"
        }
        return (out, complete)
    }
}
