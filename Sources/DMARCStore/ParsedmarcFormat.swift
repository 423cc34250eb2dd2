import DMARCCore

/// Exports in parsedmarc's field names and shapes, so dashboards and scripts built for
/// parsedmarc's CSV and JSON output read DMARCWatch's too. Enrichment columns (country, reverse
/// DNS, ASN) stay empty until enrichment exists.
///
/// The store keeps what the report said; the export fills in what parsedmarc fills in, so its
/// consumers see the values they expect: `xml_schema` "draft" when the report has no version,
/// `adkim`/`aspf` "r" and `sp` = `p` when absent, a DKIM selector or result that is missing as
/// "none", an SPF result as "none" and scope as "mfrom", `envelope_from` from the last SPF
/// result's domain when the report has none; a DKIM or SPF result without a domain is left out. A report spanning more than 24 hours is
/// normalised as parsedmarc does it: each record is split into one per day, its count shared
/// in proportion to the seconds of each day (`DayMath.shares`).
public enum ParsedmarcFormat {
    /// The aggregate CSV header of parsedmarc 10/11, in its order.
    public static let csvColumns = [
        "xml_schema", "org_name", "org_email", "org_extra_contact_info", "report_id", "begin_date", "end_date",
        "normalized_timespan", "errors", "domain", "adkim", "aspf", "p", "sp", "np", "pct", "fo", "testing",
        "discovery_method", "source_ip_address", "source_country", "source_reverse_dns", "source_base_domain",
        "source_name", "source_type", "source_asn", "source_as_name", "source_as_domain", "count", "spf_aligned",
        "dkim_aligned", "dmarc_aligned", "disposition", "policy_override_reasons", "policy_override_comments",
        "envelope_from", "header_from", "envelope_to", "dkim_domains", "dkim_selectors", "dkim_results",
        "spf_domains", "spf_scopes", "spf_results",
    ]

    static func pyBool(_ b: Bool) -> String { b ? "True" : "False" }

    /// One CSV field, quoted when it holds a comma, quote or line break. With `guarded`, a field
    /// a spreadsheet would run as a formula gets a leading `'` first (see `startsFormula`).
    public static func csvField(_ s: String, guarded: Bool = true) -> String {
        let value = guarded && startsFormula(s) ? "'" + s : s
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences("\"", "\"\"") + "\""
    }

    /// Whether a spreadsheet would read a cell as a formula: it starts with `=`, `+`, `-`, `@`, a
    /// tab or a carriage return (OWASP "CSV Injection"), or the full-width forms of the first
    /// four, which Japanese input methods type and Excel also reads as formulas. Report fields
    /// (org_name, report_id, header_from, …) come from anyone: `=HYPERLINK(…)` must stay text.
    public static func startsFormula(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first else { return false }
        switch first {
        case "=", "+", "-", "@", "\t", "\r", "\u{FF1D}", "\u{FF0B}", "\u{FF0D}", "\u{FF20}": return true
        default: return false
        }
    }

    /// Writes the reports `filter` selects as parsedmarc's CSV or JSON, in pieces, streaming.
    /// CSV cells that would start a formula are guarded unless `rawCells` (for tools that are
    /// not spreadsheets and want the values exactly as stored).
    public static func export(
        _ store: ReportStore, _ filter: ReportFilter, csv: Bool, rawCells: Bool = false, write: (String) -> Void
    ) throws {
        var current: StoredReport?
        if csv {
            write(csvHeader())
            try store.exportReports(
                filter, report: { current = $0 },
                record: { r in
                    if let report = current { write(csvRows(report: report, record: r, guarded: !rawCells)) }
                }, reportEnd: {})
            return
        }
        write("[")
        var firstReport = true
        var firstRecord = true
        try store.exportReports(
            filter,
            report: { report in
                current = report
                let fields = JSONValue.object(jsonReportFields(report)).serialized()
                write((firstReport ? "\n" : ",\n") + fields.dropLast() + ",\"records\":[")
                firstReport = false
                firstRecord = true
            },
            record: { r in
                guard let report = current else { return }
                for part in jsonRecords(report: report, record: r) {
                    write((firstRecord ? "\n" : ",\n") + part.serialized())
                    firstRecord = false
                }
            },
            reportEnd: { write("]}") })
        write("\n]\n")
    }

    public static func csvHeader() -> String { csvColumns.joined(separator: ",") + "\r\n" }

    /// Whether parsedmarc splits this report's records by day: it spans more than 24 hours.
    static func normalizes(_ report: StoredReport) -> Bool { report.end - report.begin > DayMath.secondsPerDay }

    /// A record's parts as parsedmarc writes them: the record over the report's interval, or for
    /// a report that `normalizes`, one part per day with that day's interval and share of count.
    static func parts(report: StoredReport, record r: AggregateRecord) -> [(begin: Int64, end: Int64, count: Int64)] {
        guard normalizes(report) else { return [(report.begin, report.end, r.count)] }
        return DayMath.shares(count: r.count, begin: report.begin, end: report.end).map { share in
            let dayStart = share.day * DayMath.secondsPerDay
            return (max(report.begin, dayStart), min(report.end, dayStart + DayMath.secondsPerDay), share.count)
        }
    }

    /// The policy as parsedmarc gives it: `adkim`/`aspf` "r" and `sp` = `p` when absent.
    static func effectivePolicy(_ report: StoredReport) -> PolicyPublished {
        var p = report.policy
        p.adkim = p.adkim ?? "r"
        p.aspf = p.aspf ?? "r"
        p.sp = p.sp ?? p.p
        return p
    }

    /// The DKIM or SPF results parsedmarc lists: those that name a domain.
    static func authenticated(_ results: [DKIMAuthResult]) -> [DKIMAuthResult] { results.filter { $0.domain != nil } }
    static func authenticated(_ results: [SPFAuthResult]) -> [SPFAuthResult] { results.filter { $0.domain != nil } }

    /// `envelope_from` as parsedmarc gives it: the report's, else the last SPF result's domain.
    static func envelopeFrom(_ r: AggregateRecord) -> String? {
        r.envelopeFrom ?? r.spfResults.last?.domain?.lowercased()
    }

    /// The CSV lines for one record of `report` (one per day for a report that `normalizes`);
    /// `guarded` as in `csvField`.
    public static func csvRows(report: StoredReport, record r: AggregateRecord, guarded: Bool = true) -> String {
        let p = effectivePolicy(report)
        let normalized = normalizes(report)
        let dkim = authenticated(r.dkimResults)
        let spf = authenticated(r.spfResults)
        var out = ""
        for part in parts(report: report, record: r) {
            let fields: [String] = [
                report.version ?? "draft", report.orgName, report.email ?? "", report.extraContactInfo ?? "",
                report.reportID, DayMath.isoDateTime(part.begin), DayMath.isoDateTime(part.end), pyBool(normalized),
                report.errors.joined(separator: "|"), p.domain ?? "", p.adkim ?? "", p.aspf ?? "", p.p ?? "",
                p.sp ?? "", p.np ?? "", p.pct.map(String.init) ?? "", p.fo ?? "", p.testing ?? "",
                p.discoveryMethod ?? "", r.sourceIP, "", "", "", "", "", "", "", "", String(part.count),
                pyBool(r.spfAligned), pyBool(r.dkimAligned), pyBool(r.dmarcPass), r.disposition ?? "",
                r.reasons.map(\.type).joined(separator: ","), r.reasons.map { $0.comment ?? "none" }.joined(separator: "|"),
                envelopeFrom(r) ?? "", r.headerFrom ?? "", r.envelopeTo ?? "",
                dkim.map { ($0.domain ?? "").lowercased() }.joined(separator: ","),
                dkim.map { ($0.selector ?? "none").lowercased() }.joined(separator: ","),
                dkim.map { $0.result ?? "none" }.joined(separator: ","),
                spf.map { ($0.domain ?? "").lowercased() }.joined(separator: ","),
                spf.map { $0.scope ?? "mfrom" }.joined(separator: ","),
                spf.map { $0.result ?? "none" }.joined(separator: ","),
            ]
            out += fields.map { csvField($0, guarded: guarded) }.joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// The report object without `records`, in parsedmarc's key order.
    public static func jsonReportFields(_ report: StoredReport) -> [(String, JSONValue)] {
        let p = effectivePolicy(report)
        return [
            ("xml_schema", .string(report.version ?? "draft")),
            ("xml_namespace", .optional(report.namespace)),
            (
                "report_metadata",
                .object([
                    ("org_name", .string(report.orgName)),
                    ("org_email", .optional(report.email)),
                    ("org_extra_contact_info", .optional(report.extraContactInfo)),
                    ("report_id", .string(report.reportID)),
                    ("begin_date", .string(DayMath.isoDateTime(report.begin))),
                    ("end_date", .string(DayMath.isoDateTime(report.end))),
                    ("timespan_requires_normalization", .bool(normalizes(report))),
                    ("original_timespan_seconds", .int(report.end - report.begin)),
                    ("errors", .array(report.errors.map { .string($0) })),
                    ("generator", .optional(report.generator)),
                ])
            ),
            (
                "policy_published",
                .object([
                    ("domain", .optional(p.domain)), ("adkim", .optional(p.adkim)), ("aspf", .optional(p.aspf)),
                    ("p", .optional(p.p)), ("sp", .optional(p.sp)), ("pct", .optional(p.pct.map(String.init))),
                    ("fo", .optional(p.fo)), ("np", .optional(p.np)), ("testing", .optional(p.testing)),
                    ("discovery_method", .optional(p.discoveryMethod)),
                ])
            ),
        ]
    }

    /// One record in parsedmarc's JSON shape: one object, or one per day for a report that
    /// `normalizes`.
    public static func jsonRecords(report: StoredReport, record r: AggregateRecord) -> [JSONValue] {
        let normalized = normalizes(report)
        return parts(report: report, record: r).map { part in
            jsonRecord(record: r, count: part.count, normalized: normalized, begin: part.begin, end: part.end)
        }
    }

    static func jsonRecord(record r: AggregateRecord, count: Int64, normalized: Bool, begin: Int64, end: Int64)
        -> JSONValue
    {
        .object([
            (
                "source",
                .object([
                    ("ip_address", .string(r.sourceIP)), ("reverse_dns", .null), ("country", .null),
                    ("base_domain", .null),
                    ("name", .null), ("type", .null), ("asn", .null), ("as_name", .null), ("as_domain", .null),
                ])
            ),
            ("count", .int(count)),
            (
                "alignment",
                .object([("spf", .bool(r.spfAligned)), ("dkim", .bool(r.dkimAligned)), ("dmarc", .bool(r.dmarcPass))])
            ),
            (
                "policy_evaluated",
                .object([
                    ("disposition", .optional(r.disposition)), ("dkim", .optional(r.dkim)), ("spf", .optional(r.spf)),
                    (
                        "policy_override_reasons",
                        .array(
                            r.reasons.map { .object([("type", .string($0.type)), ("comment", .optional($0.comment))]) })
                    ),
                ])
            ),
            (
                "identifiers",
                .object([
                    ("header_from", .optional(r.headerFrom)), ("envelope_from", .optional(envelopeFrom(r))),
                    ("envelope_to", .optional(r.envelopeTo)),
                ])
            ),
            (
                "auth_results",
                .object([
                    (
                        "dkim",
                        .array(
                            authenticated(r.dkimResults).map {
                                .object([
                                    ("domain", .optional($0.domain)), ("selector", .string($0.selector ?? "none")),
                                    ("result", .string($0.result ?? "none")), ("human_result", .optional($0.humanResult)),
                                ])
                            })
                    ),
                    (
                        "spf",
                        .array(
                            authenticated(r.spfResults).map {
                                .object([
                                    ("domain", .optional($0.domain)), ("scope", .string($0.scope ?? "mfrom")),
                                    ("result", .string($0.result ?? "none")), ("human_result", .optional($0.humanResult)),
                                ])
                            })
                    ),
                ])
            ),
            ("normalized_timespan", .bool(normalized)),
            ("interval_begin", .string(DayMath.isoDateTime(begin))),
            ("interval_end", .string(DayMath.isoDateTime(end))),
        ])
    }
}
