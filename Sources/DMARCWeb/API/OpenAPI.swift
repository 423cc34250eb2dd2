import DMARCCore

/// The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. Tests check that it
/// describes exactly the routes of `APIRoutes.table`, that every GET answers with the top-level
/// shape its schema gives, and that the POST routes take the content types documented here.
enum OpenAPI {
    struct Parameter {
        var name: String
        var location: String
        var description: String
        var required = false
    }

    struct Operation {
        var method: String
        var path: String
        var summary: String
        var parameters: [Parameter]
        /// Content type → schema of the 200 answer.
        var responses: [(String, JSONValue)]
        /// Content type → schema of the request body (POST).
        var body: [(String, JSONValue)] = []
        var adminOnly = false
        /// Whether a query parameter can be malformed (400).
        var validates = true
        /// The other answers this operation gives besides 200, 401, 404 and the 400/403 rules.
        var more: [(String, String, JSONValue?)] = []
    }

    static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/components/schemas/\(name)"))]) }
    static func type(_ name: String) -> JSONValue { .object([("type", .string(name))]) }
    static func nullable(_ name: String) -> JSONValue {
        .object([("type", .array([.string(name), .string("null")]))])
    }
    static func array(_ items: JSONValue) -> JSONValue { .object([("type", .string("array")), ("items", items)]) }
    static func object(_ properties: [(String, JSONValue)], required: [String]? = nil) -> JSONValue {
        .object([
            ("type", .string("object")), ("properties", .object(properties)),
            ("required", .array((required ?? properties.map(\.0)).map { .string($0) })),
        ])
    }
    static let json = "application/json"

    static let periodParameters = [
        Parameter(
            name: "period", location: "query",
            description: "7, 30 or 90 (days ending on the latest day with data), or custom"),
        Parameter(name: "from", location: "query", description: "first day of a custom period, YYYY-MM-DD"),
        Parameter(name: "to", location: "query", description: "last day of a custom period, YYYY-MM-DD"),
    ]
    static let domainParameter = Parameter(name: "domain", location: "path", description: "the domain", required: true)

    static let operations: [Operation] = [
        Operation(
            method: "get", path: "/api/v1/overview", summary: "Totals, pass rates and daily counts for every domain",
            parameters: periodParameters, responses: [(json, ref("Overview"))]),
        Operation(
            method: "get", path: "/api/v1/domains", summary: "The domains visible to the caller", parameters: [],
            responses: [(json, ref("Domains"))], validates: false),
        Operation(
            method: "get", path: "/api/v1/domains/{domain}",
            summary: "One domain: published policy, daily counts, sources grouped by organisation",
            parameters: [domainParameter] + periodParameters + [
                Parameter(name: "reporter", location: "query", description: "only reports from this reporter"),
                Parameter(name: "failing", location: "query", description: "1: only sources with failing messages"),
            ], responses: [(json, ref("Domain"))]),
        Operation(
            method: "get", path: "/api/v1/domains/{domain}/summary",
            summary: "The summary report of a domain for an ISO week (Monday to Sunday) or a calendar month",
            parameters: [
                domainParameter, Parameter(name: "period", location: "query", description: "week (default) or month"),
                Parameter(
                    name: "date", location: "query",
                    description: "YYYY-MM-DD, any day of the week or month; default: the latest day with data"),
            ], responses: [(json, ref("Summary"))]),
        Operation(
            method: "get", path: "/api/v1/domains/{domain}/sources",
            summary:
                "Every source of a domain with its class (compliant, yours-failing, forwarded, suspicious), evidence and fixes",
            parameters: [domainParameter] + periodParameters, responses: [(json, ref("Sources"))]),
        Operation(
            method: "get", path: "/api/v1/domains/{domain}/readiness",
            summary: "Quarantine and reject verdicts, the simulation of each policy, and the steps to reject",
            parameters: [domainParameter] + periodParameters, responses: [(json, ref("Readiness"))]),
        Operation(
            method: "post", path: "/api/v1/domains/{domain}/sources/{ip}/decision",
            summary: "Record a decision about a source: approve it as yours, mark it not yours, or clear the decision",
            parameters: [
                domainParameter,
                Parameter(name: "ip", location: "path", description: "the source address", required: true),
            ], responses: [(json, ref("Ok"))],
            body: [
                (
                    "application/x-www-form-urlencoded",
                    object(
                        [
                            (
                                "verdict",
                                .object([
                                    ("type", .string("string")),
                                    ("enum", .array([.string("approve"), .string("not-mine"), .string("clear")])),
                                ])
                            ),
                            (
                                "note",
                                .object([
                                    ("type", .string("string")), ("maxLength", .int(500)),
                                    ("description", .string("why, kept with the decision")),
                                ])
                            ),
                            ("csrf", .object([("type", .string("string")), ("description", .string(csrfField))])),
                        ], required: ["verdict"])
                )
            ], adminOnly: true,
            more: [("413", "The body is larger than 64 KiB", ref("Error"))]),
        Operation(
            method: "get", path: "/api/v1/sources/{ip}",
            summary: "One source address: totals and daily counts, and its newest records (at most 2,000)",
            parameters: [Parameter(name: "ip", location: "path", description: "IPv4 or IPv6 address", required: true)]
                + periodParameters, responses: [(json, ref("Source"))]),
        Operation(
            method: "get", path: "/api/v1/reports", summary: "Stored aggregate reports, newest first, a page at a time",
            parameters: [
                Parameter(name: "domain", location: "query", description: "only this domain"),
                Parameter(
                    name: "reporter", location: "query",
                    description: "only reporters whose name contains this, in any case"),
                Parameter(name: "limit", location: "query", description: "1 to 1000, default 100"),
                Parameter(name: "page", location: "query", description: "1 (default) and up, limit reports a page"),
            ], responses: [(json, ref("Reports"))]),
        Operation(
            method: "post", path: "/api/v1/reports",
            summary:
                "Import report files (XML, gzip, zip, email or TLS-RPT JSON): the body is the file, or multipart/form-data with file parts",
            parameters: [
                Parameter(name: "name", location: "query", description: "a name for the upload, shown in errors")
            ],
            responses: [(json, ref("UploadResult"))],
            body: [
                ("application/octet-stream", .object([("type", .string("string")), ("format", .string("binary"))])),
                (
                    "multipart/form-data",
                    object(
                        [
                            (
                                "file",
                                array(.object([("type", .string("string")), ("format", .string("binary"))]))
                            ),
                            ("csrf", .object([("type", .string("string")), ("description", .string(csrfField))])),
                        ], required: ["file"])
                ),
            ], adminOnly: true,
            more: [
                (
                    "413", "The body is larger than the upload limit (50 MiB unless the server sets another)",
                    ref("Error")
                ),
                ("422", "Nothing in the upload could be imported", ref("UploadResult")),
                ("503", "The server is receiving too many bodies at once; try again shortly", ref("Error")),
            ]),
        Operation(
            method: "get", path: "/api/v1/reports/{id}", summary: "One report with its records (at most 1,000)",
            parameters: [Parameter(name: "id", location: "path", description: "report id", required: true)],
            responses: [(json, ref("Report"))], validates: false),
        Operation(
            method: "get", path: "/api/v1/reports/{id}/raw", summary: "The report's raw document as it arrived",
            parameters: [Parameter(name: "id", location: "path", description: "report id", required: true)],
            responses: [
                ("application/octet-stream", .object([("type", .string("string")), ("format", .string("binary"))]))
            ], validates: false),
        Operation(
            method: "get", path: "/api/v1/health",
            summary: "Documents by status, the newest failed documents (at most 500) and mailbox status",
            parameters: [], responses: [(json, ref("Health"))], adminOnly: true, validates: false),
        Operation(
            method: "get", path: "/api/v1/export", summary: "Reports in parsedmarc's CSV or JSON format",
            parameters: [
                Parameter(name: "format", location: "query", description: "json (default) or csv"),
                Parameter(name: "domain", location: "query", description: "only this domain"),
                Parameter(name: "from", location: "query", description: "first day, YYYY-MM-DD"),
                Parameter(name: "to", location: "query", description: "last day, YYYY-MM-DD"),
                Parameter(
                    name: "raw", location: "query",
                    description:
                        "1: CSV cells exactly as stored; by default a cell starting with = + - @, tab or CR gets a leading ' so spreadsheets do not run it"
                ),
            ],
            responses: [
                (json, array(.object([("type", .string("object"))]))),
                ("text/csv", .object([("type", .string("string"))])),
            ]),
        Operation(
            method: "get", path: "/api/v1/openapi.json", summary: "This document", parameters: [],
            responses: [(json, .object([("type", .string("object"))]))], validates: false),
    ]

    static let csrfField =
        "with a session cookie: the session's CSRF token (or send it as the X-CSRF-Token header); not needed with an API token"

    /// The answers every operation may give besides its own.
    static func errors(_ op: Operation) -> [(String, String, JSONValue?)] {
        var out: [(String, String, JSONValue?)] = []
        if op.validates || op.method == "post" {
            out.append(("400", "A parameter or field is malformed (the error says which)", ref("Error")))
        }
        out.append(("401", "No valid session or API token", ref("Error")))
        if op.adminOnly || op.method == "post" {
            out.append(("403", "Administrators only, or a session without its CSRF token", ref("Error")))
        }
        if op.path.contains("{") || op.parameters.contains(where: { $0.name == "domain" }) {
            out.append(
                ("404", "Not found, not visible to the caller, or a malformed {id} or {ip}", ref("Error")))
        }
        return out + op.more
    }

    static func content(_ types: [(String, JSONValue)]) -> JSONValue {
        .object(types.map { ($0.0, .object([("schema", $0.1)])) })
    }

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
                    ("200", .object([("description", .string("OK")), ("content", content(op.responses))]))
                ]
                for (status, description, schema) in errors(op) {
                    var fields: [(String, JSONValue)] = [("description", .string(description))]
                    if let schema { fields.append(("content", content([(json, schema)]))) }
                    responses.append((status, .object(fields)))
                }
                var fields: [(String, JSONValue)] = [
                    ("summary", .string(op.summary)), ("parameters", .array(parameters)),
                    ("responses", .object(responses)),
                ]
                if !op.body.isEmpty {
                    fields.append(("requestBody", .object([("required", .bool(true)), ("content", content(op.body))])))
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
                            "Authenticate with a session cookie (with an X-CSRF-Token header on POST) or with 'Authorization: Bearer TOKEN' from 'dmarcwatch token create'. Members see only their domains. Errors are {\"error\": \"…\"} in English."
                        )
                    ),
                ])
            ),
            (
                "components",
                .object([
                    ("schemas", .object(schemas)),
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
                    ),
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
