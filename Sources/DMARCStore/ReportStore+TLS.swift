import DMARCCore

/// TLS-RPT totals for one policy domain (the `tls-reports` command).
public struct TLSDomainSummary: Sendable, Equatable {
    public var domain: String
    public var reports = 0
    public var reporters = 0
    public var successfulSessions: Int64 = 0
    public var failedSessions: Int64 = 0
    /// Failed sessions per result type, most first.
    public var failuresByType: [(type: String, sessions: Int64)] = []
    /// Failed sessions per receiving MX host, most first.
    public var failingMXHosts: [(host: String, sessions: Int64)] = []
    /// Policy types reported (sts, tlsa, no-policy-found).
    public var policyTypes: [String] = []

    public static func == (a: TLSDomainSummary, b: TLSDomainSummary) -> Bool {
        a.domain == b.domain && a.reports == b.reports && a.successfulSessions == b.successfulSessions
            && a.failedSessions == b.failedSessions && a.failuresByType.map(\.type) == b.failuresByType.map(\.type)
    }
}

extension ReportStore {
    /// Stores a TLS report in one transaction; returns `false` when it was already stored.
    public func storeTLSReport(_ report: TLSReport, rawDocumentID: Int64?) throws -> Bool {
        try db.transaction {
            if try db.prepare("SELECT id FROM tls_reports WHERE report_key = ?").scalar([.text(report.key)]) != nil {
                return false
            }
            try db.prepare(
                """
                INSERT INTO tls_reports (report_key, raw_document_id, organization, contact_info, report_id, begin_ts, end_ts,
                  day, warnings, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?)
                """
            ).run([
                .text(report.key), rawDocumentID.map { .integer($0) }, .text(report.organizationName),
                .optText(report.contactInfo), .text(report.reportID), .integer(report.start), .integer(report.end),
                .integer(DayMath.day(of: report.start + (report.end - report.start) / 2)),
                report.warnings.isEmpty ? nil : .text(JSONText.array(report.warnings.map(\.description))),
                .integer(Self.now()),
            ])
            let reportRowID = db.lastInsertRowID
            let insertPolicy = try db.prepare(
                """
                INSERT INTO tls_policies (report_id, policy_type, policy_domain, policy_strings, mx_hosts, successful_sessions,
                  failed_sessions) VALUES (?,?,?,?,?,?,?)
                """)
            let insertFailure = try db.prepare(
                """
                INSERT INTO tls_failures (policy_id, result_type, sending_mta_ip, receiving_mx_hostname, receiving_mx_helo,
                  receiving_ip, failed_sessions, additional_information, failure_reason_code) VALUES (?,?,?,?,?,?,?,?,?)
                """)
            for p in report.policies {
                try insertPolicy.run([
                    .integer(reportRowID), .text(p.policyType), .optText(p.policyDomain),
                    .text(JSONText.array(p.policyStrings)), .text(JSONText.array(p.mxHosts)),
                    .integer(p.successfulSessions),
                    .integer(p.failedSessions),
                ])
                let policyID = db.lastInsertRowID
                for f in p.failures {
                    try insertFailure.run([
                        .integer(policyID), .text(f.resultType), .optText(f.sendingMTAIP),
                        .optText(f.receivingMXHostname),
                        .optText(f.receivingMXHelo), .optText(f.receivingIP), .integer(f.failedSessions),
                        .optText(f.additionalInformation), .optText(f.failureReasonCode),
                    ])
                }
            }
            return true
        }
    }

    /// Per policy domain: sessions, failures by result type and the failing MX hosts.
    public func tlsSummary(_ filter: ReportFilter) throws -> [TLSDomainSummary] {
        var conditions = ["1=1"]
        var values: [SQLiteValue?] = []
        if let domains = filter.domains {
            conditions.append("p.policy_domain IN (\(domains.map { _ in "?" }.joined(separator: ",")))")
            values += domains.map { .text($0.lowercased()) }
        }
        if let from = filter.fromDay {
            conditions.append("r.day >= ?")
            values.append(.integer(from))
        }
        if let to = filter.toDay {
            conditions.append("r.day <= ?")
            values.append(.integer(to))
        }
        let cond = conditions.joined(separator: " AND ")
        var byDomain: [String: TLSDomainSummary] = [:]
        try db.prepare(
            """
            SELECT COALESCE(p.policy_domain, ''), COUNT(DISTINCT r.id), COUNT(DISTINCT r.organization),
                   SUM(p.successful_sessions), SUM(p.failed_sessions), GROUP_CONCAT(DISTINCT p.policy_type)
            FROM tls_policies p JOIN tls_reports r ON r.id = p.report_id WHERE \(cond) GROUP BY 1
            """
        ).query(values) { row in
            var s = TLSDomainSummary(domain: row.text(0) ?? "")
            s.reports = row.int(1)
            s.reporters = row.int(2)
            s.successfulSessions = row.int64(3)
            s.failedSessions = row.int64(4)
            s.policyTypes = (row.text(5) ?? "").split(separator: ",").map(String.init).sorted()
            byDomain[s.domain] = s
        }
        try db.prepare(
            """
            SELECT COALESCE(p.policy_domain, ''), f.result_type, SUM(f.failed_sessions)
            FROM tls_failures f JOIN tls_policies p ON p.id = f.policy_id JOIN tls_reports r ON r.id = p.report_id
            WHERE \(cond) GROUP BY 1, 2 ORDER BY 3 DESC, 2
            """
        ).query(values) { row in
            byDomain[row.text(0) ?? ""]?.failuresByType.append((row.text(1) ?? "", row.int64(2)))
        }
        try db.prepare(
            """
            SELECT COALESCE(p.policy_domain, ''), COALESCE(f.receiving_mx_hostname, '(not given)'), SUM(f.failed_sessions)
            FROM tls_failures f JOIN tls_policies p ON p.id = f.policy_id JOIN tls_reports r ON r.id = p.report_id
            WHERE \(cond) GROUP BY 1, 2 ORDER BY 3 DESC, 2
            """
        ).query(values) { row in
            byDomain[row.text(0) ?? ""]?.failingMXHosts.append((row.text(1) ?? "", row.int64(2)))
        }
        return byDomain.values.sorted { $0.domain < $1.domain }
    }
}
