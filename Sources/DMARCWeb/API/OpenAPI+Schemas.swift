import DMARCCore

/// The JSON Schemas of the API's answers (components/schemas): every property at the top level
/// of each answer, and the shapes they share.
extension OpenAPI {
    static let totalsProperties: [(String, JSONValue)] = [
        "messages", "dmarc_pass", "dkim_pass", "spf_pass", "both_fail", "quarantined", "rejected",
    ].map { ($0, type("integer")) }

    static let listingProperties: [(String, JSONValue)] = [
        ("id", type("integer")), ("reporter", type("string")), ("email", nullable("string")),
        ("report_id", type("string")), ("domain", type("string")), ("begin", type("string")),
        ("end", type("string")), ("flavour", type("string")), ("records", type("integer")),
        ("messages", type("integer")), ("policy", nullable("string")), ("warnings", type("integer")),
    ]

    static let schemas: [(String, JSONValue)] = [
        ("Error", object([("error", type("string"))])),
        ("Ok", object([("ok", type("boolean"))])),
        ("Totals", object(totalsProperties)),
        (
            "Period",
            object([
                ("from", .object([("type", .string("string")), ("format", .string("date"))])),
                ("to", .object([("type", .string("string")), ("format", .string("date"))])),
            ])
        ),
        (
            "Day",
            object([("day", .object([("type", .string("string")), ("format", .string("date"))]))] + totalsProperties)
        ),
        (
            "Policy",
            .object([
                ("type", .array([.string("object"), .string("null")])),
                (
                    "description",
                    .string("The policy in the newest report for the domain, as published then; null before any report")
                ),
                (
                    "properties",
                    .object(
                        ["p", "sp", "np", "adkim", "aspf", "t", "fo"].map { ($0, nullable("string")) } + [
                            ("pct", nullable("integer")), ("reporter", type("string")), ("report_end", type("string")),
                        ])
                ),
            ])
        ),
        (
            "SourceSummary",
            object(
                [
                    ("ip", type("string")), ("ptr", nullable("string")), ("base_domain", nullable("string")),
                    ("forward_confirmed", type("boolean")), ("header_from", array(type("string"))),
                ] + totalsProperties)
        ),
        (
            "Overview",
            object([
                ("period", ref("Period")), ("previous_period", ref("Period")), ("totals", ref("Totals")),
                ("previous_totals", ref("Totals")),
                (
                    "domains",
                    array(
                        object(
                            [("domain", type("string"))] + totalsProperties + [
                                ("previous", ref("Totals")), ("policy", ref("Policy")),
                            ]))
                ),
                ("daily", array(ref("Day"))),
            ])
        ),
        (
            "Domains",
            object([
                (
                    "domains",
                    array(
                        object([
                            ("domain", type("string")), ("registered", type("boolean")),
                            ("dmarc_record", nullable("string")), ("policy", ref("Policy")),
                        ]))
                )
            ])
        ),
        (
            "Domain",
            object([
                ("domain", type("string")), ("period", ref("Period")), ("reporter", nullable("string")),
                ("failing_only", type("boolean")), ("totals", ref("Totals")),
                (
                    "filtered_totals",
                    .object([
                        ("description", .string("with a reporter or failing filter: the totals of the sources listed")),
                        ("oneOf", .array([ref("Totals"), type("null")])),
                    ])
                ),
                ("previous_totals", ref("Totals")), ("policy", ref("Policy")),
                ("reporters", array(type("string"))), ("daily", array(ref("Day"))),
                (
                    "organisations",
                    array(
                        object(
                            [("name", type("string")), ("named", type("boolean"))] + totalsProperties + [
                                ("sources", array(ref("SourceSummary")))
                            ]))
                ),
            ])
        ),
        (
            "Summary",
            object([
                ("domain", type("string")),
                (
                    "kind",
                    .object([("type", .string("string")), ("enum", .array([.string("week"), .string("month")]))])
                ),
                ("label", .object([("type", .string("string")), ("description", .string("2024-W40 or 2024-10"))])),
                ("period", ref("Period")), ("previous_period", ref("Period")),
                ("days_with_reports", type("integer")), ("previous_days_with_reports", type("integer")),
                ("totals", ref("Totals")), ("previous_totals", ref("Totals")),
                ("top_sources", array(ref("SourceSummary"))), ("failing_sources", array(ref("SourceSummary"))),
                ("spoofing_sources", array(ref("SourceSummary"))), ("new_sources", array(ref("SourceSummary"))),
                ("new_source_count", type("integer")), ("gone_sources", type("integer")),
            ])
        ),
        (
            "Sources",
            object([
                ("domain", type("string")), ("period", ref("Period")),
                (
                    "sources",
                    array(
                        object(
                            [
                                ("ip", type("string")), ("class", type("string")), ("decided", type("boolean")),
                                ("messages", type("integer")), ("dmarc_pass", type("integer")),
                                ("evidence", array(type("string"))),
                            ], required: ["ip", "class", "messages"]))
                ),
            ])
        ),
        (
            "Readiness",
            object([
                ("domain", type("string")), ("period", ref("Period")), ("days", type("integer")),
                ("policy_published", nullable("string")), ("messages_by_class", type("object")),
                ("quarantine", type("object")), ("reject", type("object")), ("simulations", array(type("object"))),
                ("plan", array(type("object"))),
            ])
        ),
        (
            "Record",
            object([
                ("report", type("integer")), ("reporter", type("string")), ("domain", type("string")),
                ("begin", type("string")), ("end", type("string")), ("source_ip", type("string")),
                ("count", type("integer")), ("disposition", nullable("string")), ("dkim", nullable("string")),
                ("spf", nullable("string")), ("header_from", nullable("string")),
                ("envelope_from", nullable("string")), ("envelope_to", nullable("string")),
                ("reasons", array(type("object"))), ("dkim_results", array(type("object"))),
                ("spf_results", array(type("object"))),
            ])
        ),
        (
            "Source",
            object([
                ("ip", type("string")), ("period", ref("Period")), ("ptr", nullable("string")),
                ("forward_confirmed", type("boolean")), ("base_domain", nullable("string")),
                ("totals", ref("Totals")), ("daily", array(ref("Day"))),
                ("record_count", .object([("type", .string("integer")), ("description", .string("records in all"))])),
                ("records", array(ref("Record"))),
            ])
        ),
        ("ReportListing", object(listingProperties)),
        (
            "Reports",
            object([
                ("total", type("integer")), ("page", type("integer")), ("limit", type("integer")),
                ("reports", array(ref("ReportListing"))),
            ])
        ),
        (
            "Report",
            object(
                listingProperties + [
                    ("org_name", nullable("string")), ("extra_contact_info", nullable("string")),
                    ("generator", nullable("string")), ("errors", array(type("string"))),
                    ("warnings", array(type("string"))), ("policy_published", ref("Policy")),
                    ("records", array(ref("Record"))),
                ])
        ),
        (
            "UploadResult",
            object(
                ["documents", "imported", "duplicates", "failed", "ignored", "records", "messages"].map {
                    ($0, type("integer"))
                } + [("failures", array(object([("source", type("string")), ("error", type("string"))])))])
        ),
        (
            "Health",
            object([
                (
                    "documents",
                    .object([("type", .string("object")), ("additionalProperties", type("integer"))])
                ),
                ("failed_total", type("integer")),
                (
                    "failed",
                    array(
                        object([
                            ("id", type("integer")), ("origin", type("string")), ("status", type("string")),
                            ("error", nullable("string")), ("size", type("integer")),
                        ]))
                ),
                ("mailboxes", array(type("object"))),
            ])
        ),
    ]
}
