import DMARCCore

/// Reverse DNS facts about one address, as the store keeps them.
public struct IPInfo: Sendable, Equatable {
    public var ip: String
    public var ptr: String?
    public var forwardConfirmed: Bool
    public var baseDomain: String?
    public var problem: String?

    public init(ip: String, ptr: String?, forwardConfirmed: Bool, baseDomain: String?, problem: String?) {
        self.ip = ip
        self.ptr = ptr
        self.forwardConfirmed = forwardConfirmed
        self.baseDomain = baseDomain
        self.problem = problem
    }
}

extension ReportStore {
    /// Source addresses seen in records that have no enrichment yet, or whose entry expired.
    public func addressesNeedingEnrichment(limit: Int = 1_000_000) throws -> [String] {
        var out: [String] = []
        try db.prepare(
            """
            SELECT DISTINCT r.source_ip FROM records r LEFT JOIN ip_info i ON i.ip = r.source_ip
            WHERE i.ip IS NULL OR i.expires_at < ? LIMIT ?
            """
        ).query([.integer(Self.now()), .int(limit)]) { row in
            if let ip = row.text(0) { out.append(ip) }
        }
        return out
    }

    /// Like `addressesNeedingEnrichment`, for addresses that sent since `sinceDay` only, read from
    /// the daily rollup domain by domain (a range of its key), not by scanning every record: what
    /// `serve` runs every few minutes on a database of any size.
    public func recentAddressesNeedingEnrichment(sinceDay: Int64, limit: Int = 100_000) throws -> [String] {
        var domains: [String] = []
        try db.prepare("SELECT DISTINCT domain FROM domain_daily WHERE day >= ?").query([.integer(sinceDay)]) {
            domains.append($0.text(0) ?? "")
        }
        let query = try db.prepare(
            """
            SELECT DISTINCT d.source_ip FROM daily_rollup d LEFT JOIN ip_info i ON i.ip = d.source_ip
            WHERE d.domain = ? AND d.day >= ? AND (i.ip IS NULL OR i.expires_at < ?)
            """)
        var seen = Set<String>()
        var out: [String] = []
        for domain in domains where out.count < limit {
            try query.query([.text(domain), .integer(sinceDay), .integer(Self.now())]) { row in
                if let ip = row.text(0), out.count < limit, seen.insert(ip).inserted { out.append(ip) }
            }
        }
        return out
    }

    /// Saves enrichment results: answers for `ttl` seconds, failed lookups for an hour.
    public func saveIPInfo(_ infos: [IPInfo], ttl: Int64 = 7 * 86_400) throws {
        let now = Self.now()
        try db.transaction {
            let upsert = try db.prepare(
                """
                INSERT INTO ip_info (ip, ptr, forward_confirmed, base_domain, problem, fetched_at, expires_at)
                VALUES (?,?,?,?,?,?,?)
                ON CONFLICT (ip) DO UPDATE SET ptr = excluded.ptr, forward_confirmed = excluded.forward_confirmed,
                  base_domain = excluded.base_domain, problem = excluded.problem, fetched_at = excluded.fetched_at,
                  expires_at = excluded.expires_at
                """)
            for i in infos {
                try upsert.run([
                    .text(i.ip), .optText(i.ptr), .bool(i.forwardConfirmed), .optText(i.baseDomain),
                    .optText(i.problem),
                    .integer(now), .integer(now + (i.problem == nil ? ttl : 3600)),
                ])
            }
        }
    }

    /// The stored facts about one address.
    public func ipInfo(_ ip: String) throws -> IPInfo? {
        var info: IPInfo?
        try db.prepare("SELECT ip, ptr, forward_confirmed, base_domain, problem FROM ip_info WHERE ip = ?").query([
            .text(ip)
        ]) {
            row in
            info = IPInfo(
                ip: row.text(0) ?? "", ptr: row.text(1), forwardConfirmed: row.int64(2) != 0, baseDomain: row.text(3),
                problem: row.text(4))
        }
        return info
    }
}
