import DMARCCore

/// Exports in parsedmarc's field names and shapes, so dashboards and scripts built for
/// parsedmarc's CSV and JSON output read DMARCWatch's too. Enrichment columns (country, reverse
/// DNS, ASN) stay empty until enrichment exists.
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
                    if let report = current { write(csvRow(report: report, record: r, guarded: !rawCells)) }
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
                write((firstRecord ? "\n" : ",\n") + jsonRecord(report: report, record: r).serialized())
                firstRecord = false
            },
            reportEnd: { write("]}") })
        write("\n]\n")
    }

    public static func csvHeader() -> String { csvColumns.joined(separator: ",") + "\r\n" }

    /// The CSV line for one record of `report`; `guarded` as in `csvField`.
    public static func csvRow(report: StoredReport, record r: AggregateRecord, guarded: Bool = true) -> String {
        let p = report.policy
        let fields: [String] = [
            report.version ?? "", report.orgName, report.email ?? "", report.extraContactInfo ?? "", report.reportID,
            DayMath.isoDateTime(report.begin), DayMath.isoDateTime(report.end), "False",
            report.errors.joined(separator: "|"), p.domain ?? "", p.adkim ?? "", p.aspf ?? "", p.p ?? "", p.sp ?? "",
            p.np ?? "", p.pct.map(String.init) ?? "", p.fo ?? "", p.testing ?? "", p.discoveryMethod ?? "",
            r.sourceIP, "", "", "", "", "", "", "", "", String(r.count), pyBool(r.spfAligned), pyBool(r.dkimAligned),
            pyBool(r.dmarcPass), r.disposition ?? "", r.reasons.map(\.type).joined(separator: ","),
            r.reasons.map { $0.comment ?? "none" }.joined(separator: "|"), r.envelopeFrom ?? "", r.headerFrom ?? "",
            r.envelopeTo ?? "", r.dkimResults.map { ($0.domain ?? "").lowercased() }.joined(separator: ","),
            r.dkimResults.map { ($0.selector ?? "").lowercased() }.joined(separator: ","),
            r.dkimResults.map { $0.result ?? "" }.joined(separator: ","),
            r.spfResults.map { ($0.domain ?? "").lowercased() }.joined(separator: ","),
            r.spfResults.map { $0.scope ?? "mfrom" }.joined(separator: ","),
            r.spfResults.map { $0.result ?? "" }.joined(separator: ","),
        ]
        return fields.map { csvField($0, guarded: guarded) }.joined(separator: ",") + "\r\n"
    }

    /// The report object without `records`, in parsedmarc's key order.
    public static func jsonReportFields(_ report: StoredReport) -> [(String, JSONValue)] {
        let p = report.policy
        return [
            ("xml_schema", .optional(report.version)),
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
                    ("timespan_requires_normalization", .bool(false)),
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

    /// One record in parsedmarc's JSON shape.
    public static func jsonRecord(report: StoredReport, record r: AggregateRecord) -> JSONValue {
        .object([
            (
                "source",
                .object([
                    ("ip_address", .string(r.sourceIP)), ("reverse_dns", .null), ("country", .null),
                    ("base_domain", .null),
                    ("name", .null), ("type", .null), ("asn", .null), ("as_name", .null), ("as_domain", .null),
                ])
            ),
            ("count", .int(r.count)),
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
                    ("header_from", .optional(r.headerFrom)), ("envelope_from", .optional(r.envelopeFrom)),
                    ("envelope_to", .optional(r.envelopeTo)),
                ])
            ),
            (
                "auth_results",
                .object([
                    (
                        "dkim",
                        .array(
                            r.dkimResults.map {
                                .object([
                                    ("domain", .optional($0.domain)), ("selector", .optional($0.selector)),
                                    ("result", .optional($0.result)), ("human_result", .optional($0.humanResult)),
                                ])
                            })
                    ),
                    (
                        "spf",
                        .array(
                            r.spfResults.map {
                                .object([
                                    ("domain", .optional($0.domain)), ("scope", .string($0.scope ?? "mfrom")),
                                    ("result", .optional($0.result)), ("human_result", .optional($0.humanResult)),
                                ])
                            })
                    ),
                ])
            ),
            ("normalized_timespan", .bool(false)),
            ("interval_begin", .string(DayMath.isoDateTime(report.begin))),
            ("interval_end", .string(DayMath.isoDateTime(report.end))),
        ])
    }
}
