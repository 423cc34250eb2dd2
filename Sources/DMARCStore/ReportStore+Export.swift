import DMARCCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A stored report's header, as exports need it.
public struct StoredReport: Sendable {
    public var id: Int64
    public var version: String?
    public var namespace: String?
    public var flavour: String
    public var orgName: String
    public var email: String?
    public var extraContactInfo: String?
    public var reportID: String
    public var begin: Int64
    public var end: Int64
    public var errors: [String]
    public var generator: String?
    public var policy: PolicyPublished
    /// Records are the id range `firstRecordID ..< firstRecordID + recordCount`.
    var firstRecordID: Int64
    var recordCount: Int64
}

/// A stored record with its authentication results.
public struct StoredRecord: Sendable {
    public var record: AggregateRecord
}

private struct StoredReason: Decodable {
    var type: String
    var comment: String?
}

extension ReportStore {
    /// Streams the reports matching `filter`, oldest first, and each report's records, without
    /// holding more than one record in memory.
    public func exportReports(
        _ filter: ReportFilter,
        report: (StoredReport) throws -> Void,
        record: (AggregateRecord) throws -> Void,
        reportEnd: () throws -> Void
    ) throws {
        let (cond, values) = filter.conditions()
        let dkimQuery = try db.prepare(
            "SELECT domain, selector, result, human_result FROM record_dkim WHERE record_id = ? ORDER BY seq")
        let spfQuery = try db.prepare(
            "SELECT domain, scope, result, human_result FROM record_spf WHERE record_id = ? ORDER BY seq")
        let recordQuery = try db.prepare(
            """
            SELECT id, source_ip, count, disposition, dkim, spf, reasons, header_from, envelope_from, envelope_to
            FROM records WHERE id >= ? AND id < ? ORDER BY id
            """)
        var headers: [StoredReport] = []
        try db.prepare(
            """
            SELECT id, version, namespace, flavour, reporter, email, extra_contact_info, report_id, begin_ts, end_ts,
                   errors, generator, domain, p, sp, np, pct, adkim, aspf, fo, testing, discovery_method, psd,
                   COALESCE(first_record_id, 0), record_count
            FROM reports WHERE \(cond) ORDER BY begin_ts, id
            """
        ).query(values) { row in
            var policy = PolicyPublished()
            policy.domain = row.text(12)
            policy.p = row.text(13)
            policy.sp = row.text(14)
            policy.np = row.text(15)
            policy.pct = row.int64Optional(16).map(Int.init)
            policy.adkim = row.text(17)
            policy.aspf = row.text(18)
            policy.fo = row.text(19)
            policy.testing = row.text(20)
            policy.discoveryMethod = row.text(21)
            policy.psd = row.text(22)
            headers.append(
                StoredReport(
                    id: row.int64(0), version: row.text(1), namespace: row.text(2), flavour: row.text(3) ?? "",
                    orgName: row.text(4) ?? "", email: row.text(5), extraContactInfo: row.text(6),
                    reportID: row.text(7) ?? "", begin: row.int64(8), end: row.int64(9),
                    errors: Self.decodeList(row.text(10)), generator: row.text(11), policy: policy,
                    firstRecordID: row.int64(23), recordCount: row.int64(24)))
        }
        for header in headers {
            try report(header)
            try recordQuery.query([.integer(header.firstRecordID), .integer(header.firstRecordID + header.recordCount)])
            { row in
                let recordID = row.int64(0)
                var r = AggregateRecord()
                r.sourceIP = row.text(1) ?? ""
                r.count = row.int64(2)
                r.disposition = row.text(3)
                r.dkim = row.text(4)
                r.spf = row.text(5)
                r.reasons = Self.decodeReasons(row.text(6))
                r.headerFrom = row.text(7)
                r.envelopeFrom = row.text(8)
                r.envelopeTo = row.text(9)
                try dkimQuery.query([.integer(recordID)]) { d in
                    r.dkimResults.append(
                        DKIMAuthResult(
                            domain: d.text(0), selector: d.text(1), result: d.text(2), humanResult: d.text(3)))
                }
                try spfQuery.query([.integer(recordID)]) { s in
                    r.spfResults.append(
                        SPFAuthResult(domain: s.text(0), scope: s.text(1), result: s.text(2), humanResult: s.text(3)))
                }
                try record(r)
            }
            try reportEnd()
        }
    }

    /// Override reasons as `ReportWriter.reasonsJSON` stored them.
    static func decodeReasons(_ json: String?) -> [PolicyOverrideReason] {
        guard let json, let reasons = try? JSONDecoder().decode([StoredReason].self, from: Data(json.utf8)) else {
            return []
        }
        return reasons.map { PolicyOverrideReason(type: $0.type, comment: $0.comment) }
    }

    static func decodeList(_ json: String?) -> [String] {
        guard let json else { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }
}
