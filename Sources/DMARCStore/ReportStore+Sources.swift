import DMARCCore

/// What enrichment stored about an address beyond reverse DNS.
public struct NetworkInfo: Sendable, Equatable {
    public var country: String?
    public var asn: Int?
    public var asOrganization: String?
    public var networkOwner: String?
    public var networkHandle: String?
    public var service: String?

    public init(
        country: String? = nil, asn: Int? = nil, asOrganization: String? = nil, networkOwner: String? = nil,
        networkHandle: String? = nil, service: String? = nil
    ) {
        self.country = country
        self.asn = asn
        self.asOrganization = asOrganization
        self.networkOwner = networkOwner
        self.networkHandle = networkHandle
        self.service = service
    }
}

extension ReportStore {
    /// The sources of one domain over a period, built from its records (DKIM and SPF results and
    /// override reasons are not in the rollup), with stored enrichment and decisions attached.
    /// A report counts when its interval's midpoint falls in the period (`reports.day`). Each
    /// result is filed under the record's `header_from` (the From domain alignment compares
    /// with) when that is the domain or a subdomain of it, else under the domain.
    public func sourceProfiles(domain: String, fromDay: Int64, toDay: Int64) throws -> [SourceProfile] {
        var profiles: [String: SourceProfile] = [:]
        var days: [String: Set<Int64>] = [:]
        let reports = try db.prepare(
            """
            SELECT id, first_record_id, record_count, reporter, day FROM reports
            WHERE domain = ? AND day BETWEEN ? AND ? AND first_record_id IS NOT NULL
            """)
        let records = try db.prepare(
            """
            SELECT id, source_ip, count, disposition, dkim, spf, reasons, header_from FROM records
            WHERE id BETWEEN ? AND ?
            """)
        let dkim = try db.prepare(
            "SELECT record_id, domain, result FROM record_dkim WHERE record_id BETWEEN ? AND ?")
        // SPF of the envelope From only: a HELO result says nothing about the author domain's sender.
        let spf = try db.prepare(
            """
            SELECT record_id, domain, result FROM record_spf
            WHERE record_id BETWEEN ? AND ? AND (scope IS NULL OR scope = 'mfrom')
            """)
        var batches: [(Int64, Int64, String, Int64)] = []
        try reports.query([.text(domain), .integer(fromDay), .integer(toDay)]) { row in
            batches.append((row.int64(1), row.int64(1) + row.int64(2) - 1, row.text(3) ?? "", row.int64(4)))
        }
        for (first, last, reporter, day) in batches where last >= first {
            // Records of one report, then their auth results, by id range (no per-record queries).
            var byID: [Int64: (ip: String, count: Int64, author: String)] = [:]
            var signed = Set<Int64>()
            try records.query([.integer(first), .integer(last)]) { row in
                let ip = row.text(1) ?? ""
                let n = row.int64(2)
                byID[row.int64(0)] = (ip, n, Self.author(row.text(7), domain: domain))
                var p = profiles[ip] ?? SourceProfile(ip: ip, domain: domain)
                let dkimPass = row.text(4) == "pass"
                let spfPass = row.text(5) == "pass"
                p.messages = Self.saturating(p.messages, n)
                if dkimPass || spfPass { p.dmarcPass = Self.saturating(p.dmarcPass, n) }
                if dkimPass { p.dkimAlignedPass = Self.saturating(p.dkimAlignedPass, n) }
                if spfPass { p.spfAlignedPass = Self.saturating(p.spfAlignedPass, n) }
                if row.text(3) == "quarantine" { p.quarantined = Self.saturating(p.quarantined, n) }
                if row.text(3) == "reject" { p.rejected = Self.saturating(p.rejected, n) }
                if Self.decodeReasons(row.text(6)).contains(where: {
                    ["forwarded", "mailing_list", "trusted_forwarder"].contains($0.type)
                }) {
                    p.forwardedOverrides = Self.saturating(p.forwardedOverrides, n)
                }
                p.reporters.insert(reporter)
                days[ip, default: []].insert(day)
                profiles[ip] = p
            }
            // Auth results of the report's records: each counts its record's messages as a pass, a
            // failure or a temporary error of that domain, under the record's address and From domain.
            func tally(
                _ statement: SQLiteStatement,
                _ field: WritableKeyPath<SourceProfile, [SourceProfile.AuthKey: SourceProfile.Tally]>
            ) throws {
                let isDKIM = field == \SourceProfile.dkimResults
                try statement.query([.integer(first), .integer(last)]) { row in
                    guard let (ip, n, author) = byID[row.int64(0)], let d = row.text(1)?.lowercased(), !d.isEmpty
                    else { return }
                    let result = (row.text(2) ?? "").lowercased()
                    // DKIM "none" is no signature at all. A temporary error is a signature (or an SPF
                    // record) the receiver could not check: signed, neither a pass nor a failure.
                    // SPF none, neutral, softfail, fail and permerror all leave SPF without a pass.
                    if result.isEmpty || (isDKIM && result == "none") { return }
                    if isDKIM { signed.insert(row.int64(0)) }
                    let key = SourceProfile.AuthKey(domain: d, author: author)
                    var t = profiles[ip]?[keyPath: field][key] ?? SourceProfile.Tally()
                    switch result {
                    case "pass": t.pass = Self.saturating(t.pass, n)
                    case "temperror": t.temperror = Self.saturating(t.temperror, n)
                    default: t.fail = Self.saturating(t.fail, n)
                    }
                    profiles[ip]?[keyPath: field][key] = t
                }
            }
            try tally(dkim, \.dkimResults)
            try tally(spf, \.spfResults)
            for (id, r) in byID where !signed.contains(id) {
                let before = profiles[r.ip]?.unsigned ?? 0
                profiles[r.ip]?.unsigned = Self.saturating(before, r.count)
            }
        }
        let decisions = try sourceDecisions(domain: domain)
        let info = try db.prepare(
            """
            SELECT ptr, forward_confirmed, base_domain, country, asn, as_org, network_owner, service
            FROM ip_info WHERE ip = ?
            """)
        for ip in Array(profiles.keys) {
            profiles[ip]?.activeDays = days[ip]?.count ?? 0
            profiles[ip]?.decision = decisions[ip]
            try info.query([.text(ip)]) { row in
                profiles[ip]?.ptr = row.text(0)
                profiles[ip]?.forwardConfirmed = row.int64(1) != 0
                profiles[ip]?.baseDomain = row.text(2)
                profiles[ip]?.country = row.text(3)
                profiles[ip]?.asn = row.int64Optional(4).map { Int($0) }
                profiles[ip]?.asOrganization = row.text(5)
                profiles[ip]?.networkOwner = row.text(6)
            }
        }
        return profiles.values.sorted { ($0.messages, $1.ip) > ($1.messages, $0.ip) }
    }

    static func saturating(_ a: Int64, _ b: Int64) -> Int64 {
        let (v, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int64.max : v
    }

    /// The newest day with messages for `domain` that is not after `notAfter` (today, for the
    /// default period: one forged report dated 2199 must not move the period there).
    public func latestDay(domain: String, notAfter: Int64) throws -> Int64? {
        var out: Int64?
        try db.prepare("SELECT MAX(day) FROM domain_daily WHERE domain = ? AND day <= ?").query([
            .text(domain), .integer(notAfter),
        ]) { out = $0.int64Optional(0) }
        return out
    }

    /// The From domain a record's results are compared with: its `header_from` when that is the
    /// policy domain or under it (a report may carry anything), else the policy domain.
    static func author(_ headerFrom: String?, domain: String) -> String {
        var h = (headerFrom ?? "").lowercased()
        while h.hasSuffix(".") { h.removeLast() }
        return h == domain || h.hasSuffix("." + domain) ? h : domain
    }

    /// The days of reports in a period, the denominator of every rate `sourceProfiles` feeds: the
    /// UTC days of the period that a report counted there covers. A report counts when its
    /// interval's midpoint is in the period (as in `sourceProfiles`) and covers the day of its
    /// midpoint when it spans at most two days, else every day of its interval (as the daily
    /// rollup spreads it); days outside the period are not counted, so a forged report spanning
    /// years adds at most the period.
    public func reportedDays(domain: String, fromDay: Int64, toDay: Int64) throws -> Int {
        guard fromDay <= toDay else { return 0 }
        var days = Set<Int64>()
        // Timestamps are clamped to the period before they become days, so none can overflow.
        let (periodStart, o1) = fromDay.multipliedReportingOverflow(by: DayMath.secondsPerDay)
        let (periodEnd, o2) = toDay.multipliedReportingOverflow(by: DayMath.secondsPerDay)
        guard !o1, !o2 else { return 0 }
        try db.prepare("SELECT begin_ts, end_ts, day FROM reports WHERE domain = ? AND day BETWEEN ? AND ?").query([
            .text(domain), .integer(fromDay), .integer(toDay),
        ]) { row in
            let begin = row.int64(0)
            let end = row.int64(1)
            let (span, overflow) = end.subtractingReportingOverflow(begin)
            guard !overflow, span > 2 * DayMath.secondsPerDay else {
                days.insert(row.int64(2))
                return
            }
            let first = DayMath.day(of: max(begin, periodStart))
            let last = DayMath.day(of: min(end - 1, periodEnd))
            if first <= last { for d in first...last { days.insert(d) } }
        }
        return days.count
    }

    /// The stored service id of each address (from enrichment), for the catalogue lookup.
    public func serviceIDs(_ ips: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        let s = try db.prepare("SELECT service FROM ip_info WHERE ip = ?")
        for ip in ips {
            try s.query([.text(ip)]) { row in if let id = row.text(0) { out[ip] = id } }
        }
        return out
    }

    // MARK: Decisions

    public func sourceDecisions(domain: String) throws -> [String: SourceDecision] {
        var out: [String: SourceDecision] = [:]
        try db.prepare("SELECT ip, verdict, decided_by, decided_at, note FROM source_decisions WHERE domain = ?").query(
            [
                .text(domain)
            ]) { row in
                guard let v = SourceDecision.Verdict(rawValue: row.text(1) ?? "") else { return }
                out[row.text(0) ?? ""] = SourceDecision(
                    verdict: v, by: row.text(2) ?? "", at: row.int64(3), note: row.text(4))
            }
        return out
    }

    /// Records (or, with a nil verdict, clears) an administrator's decision about a source.
    public func setSourceDecision(
        domain: String, ip: String, verdict: SourceDecision.Verdict?, by: String, note: String?
    )
        throws
    {
        if let verdict {
            try db.prepare(
                """
                INSERT INTO source_decisions (domain, ip, verdict, decided_by, decided_at, note) VALUES (?,?,?,?,?,?)
                ON CONFLICT (domain, ip) DO UPDATE SET verdict = excluded.verdict, decided_by = excluded.decided_by,
                  decided_at = excluded.decided_at, note = excluded.note
                """
            ).run([.text(domain), .text(ip), .text(verdict.rawValue), .text(by), .integer(Self.now()), .optText(note)])
        } else {
            try db.prepare("DELETE FROM source_decisions WHERE domain = ? AND ip = ?").run([.text(domain), .text(ip)])
        }
        try audit(user: by, action: "source.decision", detail: "\(domain) \(ip) \(verdict?.rawValue ?? "cleared")")
    }

    // MARK: Network facts

    /// Saves country and AS facts (from an MMDB file) and the recognised service of addresses.
    public func saveNetworkInfo(_ facts: [(ip: String, info: NetworkInfo)]) throws {
        let now = Self.now()
        try db.transaction {
            let upsert = try db.prepare(
                """
                INSERT INTO ip_info (ip, country, asn, as_org, service, geo_fetched_at, fetched_at, expires_at)
                VALUES (?,?,?,?,?,?,0,0)
                ON CONFLICT (ip) DO UPDATE SET country = excluded.country, asn = excluded.asn, as_org = excluded.as_org,
                  service = COALESCE(excluded.service, service), geo_fetched_at = excluded.geo_fetched_at
                """)
            for (ip, i) in facts {
                try upsert.run([
                    .text(ip), .optText(i.country), .optInt(i.asn), .optText(i.asOrganization), .optText(i.service),
                    .integer(now),
                ])
            }
        }
    }

    /// Saves the network owner RDAP named for an address.
    public func saveNetworkOwner(ip: String, owner: String?, handle: String?) throws {
        try db.prepare(
            """
            INSERT INTO ip_info (ip, network_owner, network_handle, rdap_fetched_at, fetched_at, expires_at)
            VALUES (?,?,?,?,0,0)
            ON CONFLICT (ip) DO UPDATE SET network_owner = excluded.network_owner,
              network_handle = excluded.network_handle, rdap_fetched_at = excluded.rdap_fetched_at
            """
        ).run([.text(ip), .optText(owner), .optText(handle), .integer(Self.now())])
    }

    /// The network facts stored for an address, and when RDAP was last asked (nil: never).
    public func networkInfo(_ ip: String) throws -> (NetworkInfo, rdapFetchedAt: Int64?)? {
        var out: (NetworkInfo, Int64?)?
        try db.prepare(
            "SELECT country, asn, as_org, network_owner, network_handle, service, rdap_fetched_at FROM ip_info WHERE ip = ?"
        ).query([.text(ip)]) { row in
            out = (
                NetworkInfo(
                    country: row.text(0), asn: row.int64Optional(1).map { Int($0) }, asOrganization: row.text(2),
                    networkOwner: row.text(3), networkHandle: row.text(4), service: row.text(5)),
                row.int64Optional(6)
            )
        }
        return out
    }
}

extension PublishedPolicy {
    /// The report's policy as the record readiness and alignment use when DNS gives none.
    public func inForce(dnsProblem: String? = nil) -> PolicyInForce {
        PolicyInForce(
            reportP: p, sp: sp, np: np, adkim: adkim, aspf: aspf, fo: fo, testing: testing, pct: pct,
            dnsProblem: dnsProblem)
    }
}
