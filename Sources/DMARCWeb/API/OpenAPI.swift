import DMARCCore

/// The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. Tests check that
/// every path here answers and that every API route is described.
enum OpenAPI {
    struct Operation {
        var method: String
        var path: String
        var summary: String
        var parameters: [(name: String, location: String, description: String, required: Bool)]
        var responseTypes: [String] = ["application/json"]
        var adminOnly = false
    }

    static let periodParameters: [(String, String, String, Bool)] = [
        ("period", "query", "7, 30 or 90 (days ending on the latest day with data), or custom", false),
        ("from", "query", "first day of a custom period, YYYY-MM-DD", false),
        ("to", "query", "last day of a custom period, YYYY-MM-DD", false),
    ]

    static let operations: [Operation] = [
        Operation(
            method: "get", path: "/api/v1/overview", summary: "Totals, pass rates and daily counts for every domain",
            parameters: periodParameters),
        Operation(method: "get", path: "/api/v1/domains", summary: "The domains visible to the caller", parameters: []),
        Operation(
            method: "get", path: "/api/v1/domains/{domain}",
            summary: "One domain: published policy, daily counts, sources grouped by organisation",
            parameters: [("domain", "path", "the domain", true)] + periodParameters + [
                ("reporter", "query", "only reports from this reporter", false),
                ("failing", "query", "1: only sources with failing messages", false),
            ]),
        Operation(
            method: "get", path: "/api/v1/domains/{domain}/summary",
            summary: "The weekly or monthly summary report of a domain",
            parameters: [
                ("domain", "path", "the domain", true), ("period", "query", "week or month", false),
                ("end", "query", "last day, YYYY-MM-DD", false),
            ]),
        Operation(
            method: "get", path: "/api/v1/domains/{domain}/sources",
            summary:
                "Every source of a domain with its class (compliant, yours-failing, forwarded, suspicious), evidence and fixes",
            parameters: [("domain", "path", "the domain", true)] + periodParameters),
        Operation(
            method: "get", path: "/api/v1/domains/{domain}/readiness",
            summary: "Quarantine and reject verdicts, the simulation of each policy, and the steps to reject",
            parameters: [("domain", "path", "the domain", true)] + periodParameters),
        Operation(
            method: "post", path: "/api/v1/domains/{domain}/sources/{ip}/decision",
            summary: "Record a decision about a source: verdict=approve, not-mine or clear (form-encoded body)",
            parameters: [("domain", "path", "the domain", true), ("ip", "path", "the source address", true)],
            adminOnly: true),
        Operation(
            method: "get", path: "/api/v1/sources/{ip}", summary: "Every record from one source address",
            parameters: [("ip", "path", "IPv4 or IPv6 address", true)] + periodParameters),
        Operation(
            method: "get", path: "/api/v1/reports", summary: "Stored aggregate reports, newest first",
            parameters: [
                ("domain", "query", "only this domain", false), ("limit", "query", "1 to 1000, default 100", false),
            ]),
        Operation(
            method: "post", path: "/api/v1/reports",
            summary:
                "Import a report file (XML, gzip, zip, email or TLS-RPT JSON) sent as the body, or as multipart/form-data files",
            parameters: [("name", "query", "a name for the upload, shown in errors", false)], adminOnly: true),
        Operation(
            method: "get", path: "/api/v1/reports/{id}", summary: "One report with its records",
            parameters: [("id", "path", "report id", true)]),
        Operation(
            method: "get", path: "/api/v1/reports/{id}/raw", summary: "The report's raw document as it arrived",
            parameters: [("id", "path", "report id", true)], responseTypes: ["application/octet-stream"]),
        Operation(
            method: "get", path: "/api/v1/health",
            summary: "Documents by status, failed documents and mailbox status", parameters: [], adminOnly: true),
        Operation(
            method: "get", path: "/api/v1/export", summary: "Reports in parsedmarc's CSV or JSON format",
            parameters: [
                ("format", "query", "csv or json", false), ("domain", "query", "only this domain", false),
                ("from", "query", "first day, YYYY-MM-DD", false), ("to", "query", "last day, YYYY-MM-DD", false),
                (
                    "raw", "query",
                    "1: CSV cells exactly as stored; by default a cell starting with = + - @, tab or CR gets a leading ' so spreadsheets do not run it",
                    false
                ),
            ], responseTypes: ["application/json", "text/csv"]),
        Operation(method: "get", path: "/api/v1/openapi.json", summary: "This document", parameters: []),
    ]

    static let document: JSONValue = {
        var paths: [(String, JSONValue)] = []
        for path in operations.map(\.path).uniqued() {
            var methods: [(String, JSONValue)] = []
            for op in operations where op.path == path {
                let parameters = op.parameters.map { p -> JSONValue in
                    .object([
                        ("name", .string(p.name)), ("in", .string(p.location)), ("description", .string(p.description)),
                        ("required", .bool(p.required)), ("schema", .object([("type", .string("string"))])),
                    ])
                }
                var responses: [(String, JSONValue)] = [
                    (
                        "200",
                        .object([
                            ("description", .string("OK")),
                            ("content", .object(op.responseTypes.map { ($0, .object([])) })),
                        ])
                    ),
                    ("400", .object([("description", .string("A parameter is malformed (the error says which)"))])),
                    ("401", .object([("description", .string("No valid session or API token"))])),
                    ("404", .object([("description", .string("Not found, or not visible to the caller"))])),
                ]
                if op.adminOnly || op.method == "post" {
                    responses.append(
                        (
                            "403",
                            .object([
                                ("description", .string("Administrators only, or a session without its CSRF token"))
                            ])
                        ))
                }
                if op.method == "post" {
                    responses.append(("413", .object([("description", .string("Larger than 50 MiB"))])))
                    responses.append(
                        ("422", .object([("description", .string("Nothing in the upload could be imported"))])))
                }
                var fields: [(String, JSONValue)] = [
                    ("summary", .string(op.summary)), ("parameters", .array(parameters)),
                    ("responses", .object(responses)),
                ]
                if op.method == "post" {
                    fields.append(
                        (
                            "requestBody",
                            .object([
                                ("required", .bool(true)),
                                (
                                    "content",
                                    .object([
                                        ("application/octet-stream", .object([])), ("multipart/form-data", .object([])),
                                    ])
                                ),
                            ])
                        ))
                }
                methods.append((op.method, .object(fields)))
            }
            paths.append((path, .object(methods)))
        }
        return .object([
            ("openapi", .string("3.1.0")),
            (
                "info",
                .object([
                    ("title", .string("DMARCWatch API")), ("version", .string("1")),
                    (
                        "description",
                        .string(
                            "Authenticate with a session cookie (with an X-CSRF-Token header on POST) or with 'Authorization: Bearer TOKEN' from 'dmarcwatch token create'. Members see only their domains."
                        )
                    ),
                ])
            ),
            (
                "components",
                .object([
                    (
                        "securitySchemes",
                        .object([
                            ("token", .object([("type", .string("http")), ("scheme", .string("bearer"))])),
                            (
                                "session",
                                .object([
                                    ("type", .string("apiKey")), ("in", .string("cookie")),
                                    ("name", .string("dmw_session")),
                                ])
                            ),
                        ])
                    )
                ])
            ),
            ("security", .array([.object([("token", .array([]))]), .object([("session", .array([]))])])),
            ("paths", .object(paths)),
        ])
    }()
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
