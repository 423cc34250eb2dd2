import DMARCCore
import Foundation
import TestServers
import Testing

@testable import DMARCWeb

/// The web app behind the real libmicrohttpd server on 127.0.0.1:0, over sockets.
@Suite("Web server, live on loopback")
struct LiveServerTests {
    let f: WebFixture
    let server: HTTPServer

    /// A small upload limit, so the boundary can be tested cheaply.
    static let uploadLimit = 256 << 10

    init() throws {
        f = try WebFixture(maximumUpload: Self.uploadLimit)
        server = HTTPServer(app: f.app)
        try server.start(host: "127.0.0.1", port: 0)
    }

    /// Signs in through the form, as a browser without JavaScript would.
    static func signIn(_ client: inout HTTPTestClient, _ name: String) throws -> String {
        let form = try client.get("/signin")
        let csrf = try #require(form.text.csrfToken)
        let r = try client.post("/signin", form: [("csrf", csrf), ("name", name), ("password", WebFixture.password)])
        #expect(r.status == 303)
        let page = try client.get("/")
        #expect(page.status == 200)
        return try #require(page.text.csrfToken)
    }

    @Test("sign in, read pages, upload a report through the multipart form, sign out")
    func session() throws {
        defer { server.stop() }
        var client = HTTPTestClient(port: server.port)
        #expect(try client.get("/healthz").status == 200)
        #expect(try client.get("/").status == 303)
        let csrf = try Self.signIn(&client, "alice")
        let overview = try client.get("/")
        #expect(overview.text.contains("example.com"))
        #expect(overview.header("content-security-policy")?.contains("frame-ancestors 'none'") == true)
        #expect(overview.header("x-frame-options") == "DENY")

        let xml = aggregateXML(
            org: "Form upload", reportID: "form-1", domain: "form.example", begin: WebFixture.lastDay * 86_400,
            records: [TestRecord(ip: "192.0.2.5", count: 11, headerFrom: "form.example", dkimDomain: "form.example")])
        let boundary = "----dmarcwatch-test-boundary"
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(csrf)\r\n".utf8)
        body += Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.xml\"\r\nContent-Type: text/xml\r\n\r\n"
                .utf8)
        body += Array(xml.utf8)
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let upload = try client.request(
            "POST", "/upload", headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")], body: body)
        #expect(upload.status == 200)
        #expect(upload.text.contains("1 imported"))
        #expect(try client.get("/domains/form.example").text.contains("192.0.2.5"))

        // Without the token in the multipart form, the upload is refused.
        var noToken = Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.xml\"\r\n\r\n".utf8)
        noToken += Array(xml.utf8) + Array("\r\n--\(boundary)--\r\n".utf8)
        #expect(
            try client.request(
                "POST", "/upload", headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                body: noToken
            ).status == 403)

        #expect(try client.post("/signout", form: [("csrf", csrf)]).status == 303)
        #expect(try client.get("/").status == 303)
    }

    @Test("the body limits hold to the byte: 64 KiB for forms, the configured limit for an administrator's upload")
    func bodyLimits() throws {
        defer { server.stop() }
        var client = HTTPTestClient(port: server.port)
        let form = [("Content-Type", "application/x-www-form-urlencoded")]
        let a = UInt8(ascii: "a")
        // At the limit the form is read (and refused for want of its token); one byte more is 413.
        let atLimit = try client.request("POST", "/signin", headers: form, body: .init(repeating: a, count: 64 << 10))
        #expect(atLimit.status == 403)
        let over = try client.request(
            "POST", "/signin", headers: form, body: .init(repeating: a, count: (64 << 10) + 1))
        #expect(over.status == 413)
        #expect(over.text.contains("64 KiB"))
        #expect(over.header("content-type")?.hasPrefix("text/html") == true)
        // An administrator's upload may be larger: at its limit it is read (not a report: 422), past it 413 as JSON.
        let auth = [("Authorization", "Bearer \(f.adminToken)")]
        let upload = try client.request(
            "POST", "/api/v1/reports", headers: auth, body: .init(repeating: a, count: Self.uploadLimit))
        #expect(upload.status == 422)
        let tooBig = try client.request(
            "POST", "/api/v1/reports", headers: auth, body: .init(repeating: a, count: Self.uploadLimit + 1))
        #expect(tooBig.status == 413)
        #expect(tooBig.header("content-type") == "application/json")
        let error = try #require(try JSONSerialization.jsonObject(with: Data(tooBig.body)) as? [String: Any])
        #expect(error["error"] as? String == "The request body is larger than 256 KiB.")
        // A member gets the form limit for the same request.
        let member = try client.request(
            "POST", "/api/v1/reports", headers: [("Authorization", "Bearer \(f.memberToken)")],
            body: .init(repeating: a, count: (64 << 10) + 1))
        #expect(member.status == 413)
    }

    @Test("a body declared over the limit is answered 413 at once, without waiting for the body to be sent")
    func earlyRefusal() throws {
        defer { server.stop() }
        // Only the head is sent; a server that read the body first would time out here.
        let form = try HTTPTestClient.sendHeadOnly(
            port: server.port, method: "POST", path: "/signin",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], declaredLength: 100 << 20)
        #expect(form.status == 413)
        let api = try HTTPTestClient.sendHeadOnly(
            port: server.port, method: "POST", path: "/api/v1/reports",
            headers: [("Authorization", "Bearer \(f.adminToken)")], declaredLength: 1 << 30)
        #expect(api.status == 413)
        #expect(api.text.contains("\"error\""))
        // A chunked body declares no length: past the limit the connection is closed, unread.
        let fd = try HTTPTestClient.connectSocket(port: server.port, timeout: 5)
        defer { close(fd) }
        var chunked = Array(
            "POST /signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
                .utf8)
        for _ in 0..<3 {
            chunked += Array("8000\r\n".utf8) + [UInt8](repeating: 97, count: 0x8000) + Array("\r\n".utf8)
        }
        var sent = 0
        while sent < chunked.count {
            let n = chunked[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        var answer = [UInt8](repeating: 0, count: 4096)
        let got = answer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        #expect(got <= 0, "\(String(decoding: answer.prefix(max(got, 0)), as: UTF8.self))")
        var client = HTTPTestClient(port: server.port)
        #expect(try client.get("/healthz").status == 200)
        // Within the limit the server does wait for the body: nothing comes back without it.
        #expect(throws: (any Error).self) {
            _ = try HTTPTestClient.sendHeadOnly(
                port: server.port, method: "POST", path: "/signin",
                headers: [("Content-Type", "application/x-www-form-urlencoded")], declaredLength: 100, timeout: 1)
        }
    }

    @Test("one address may hold only so many connections at once; closing one lets the next in")
    func connectionsPerAddress() throws {
        defer { server.stop() }
        let limited = HTTPServer(
            bodyLimit: f.app.bodyLimit, connectionsPerAddress: 3, refusal: HTTPServer.plainRefusal,
            handler: f.app.handle)
        try limited.start(host: "127.0.0.1", port: 0)
        defer { limited.stop() }
        var idle = try (0..<3).map { _ in try HTTPTestClient.connectSocket(port: limited.port) }
        defer { for fd in idle { close(fd) } }
        // Give the server a moment to accept the idle connections.
        Thread.sleep(forTimeInterval: 0.3)
        #expect(throws: (any Error).self) {
            var refused = HTTPTestClient(port: limited.port)
            _ = try refused.get("/healthz")
        }
        close(idle.removeLast())
        Thread.sleep(forTimeInterval: 0.3)
        var client = HTTPTestClient(port: limited.port)
        #expect(try client.get("/healthz").status == 200)
        // The app sets the limit unless a trusted proxy makes every connection come from one address.
        #expect(f.app.connectionsPerAddress == 32)
        #expect(try WebFixture(trustedProxy: "10.0.0.1").app.connectionsPerAddress == 0)
    }

    @Test("raw files and exports stream from a spool file: the bytes that arrived, and parsedmarc's CSV")
    func streamedDownloads() throws {
        defer { server.stop() }
        var client = HTTPTestClient(port: server.port)
        let auth = [("Authorization", "Bearer \(f.adminToken)")]
        let raw = try client.get("/api/v1/reports/1/raw", headers: auth)
        #expect(raw.status == 200)
        let original = try Data(contentsOf: URL(fileURLWithPath: f.dir + "/reports/google-0.xml"))
        let yahoo = try Data(contentsOf: URL(fileURLWithPath: f.dir + "/reports/yahoo-0.xml"))
        #expect(Data(raw.body) == original || Data(raw.body) == yahoo)
        #expect(raw.header("content-length") == String(raw.body.count))
        let csv = try client.get("/api/v1/export?format=csv", headers: auth)
        #expect(csv.status == 200)
        #expect(csv.header("content-type") == "text/csv; charset=utf-8")
        let lines = csv.text.split(separator: "\r\n")
        #expect(lines.first?.hasPrefix("xml_schema,org_name,org_email") == true)
        // One line per record: 10 days x (3 + 1) records, and the hostile report's one.
        #expect(lines.count == 1 + 41)
    }

    @Test("bodies held in memory across connections have a budget: past it, 503 instead of running out of memory")
    func inFlightBudget() throws {
        defer { server.stop() }
        let app = f.app
        let small = HTTPServer(app: app, maximumInFlight: 64 << 10)
        try small.start(host: "127.0.0.1", port: 0)
        defer { small.stop() }
        var client = HTTPTestClient(port: small.port)
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 200 << 10)
        let r = try client.request(
            "POST", "/api/v1/reports", headers: [("Authorization", "Bearer \(f.adminToken)")], body: big)
        #expect(r.status == 503)
        #expect(r.header("content-type") == "application/json")
        #expect(r.text.contains("\"error\":\"The server is receiving too much at once"))
        // The budget is given back: a small request goes through afterwards.
        #expect(try client.get("/healthz").status == 200)
        let xml = aggregateXML(
            org: "Budget", reportID: "b-1", domain: "budget.example", begin: WebFixture.lastDay * 86_400,
            records: [TestRecord(ip: "192.0.2.7", count: 1, headerFrom: "budget.example")])
        let ok = try client.request(
            "POST", "/api/v1/reports", headers: [("Authorization", "Bearer \(f.adminToken)")], body: Array(xml.utf8))
        #expect(ok.status == 200)
    }

    /// Checks a JSON answer against a schema of the document at the top level: the required
    /// properties are there, with the JSON types the schema gives them.
    static func conforms(
        _ value: Any, _ schema: [String: Any], _ components: [String: Any], _ context: String
    ) {
        var schema = schema
        if let ref = schema["$ref"] as? String {
            guard let resolved = components[String(ref.split(separator: "/").last ?? "")] as? [String: Any] else {
                Issue.record("\(context): no schema \(ref)")
                return
            }
            schema = resolved
        }
        func matches(_ v: Any, _ type: String) -> Bool {
            switch type {
            case "string": v is String
            case "integer", "number", "boolean": v is NSNumber
            case "array": v is [Any]
            case "object": v is [String: Any]
            case "null": v is NSNull
            default: false
            }
        }
        let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] } ?? []
        if !types.isEmpty {
            #expect(types.contains { matches(value, $0) }, "\(context) is not \(types)")
        }
        guard let object = value as? [String: Any], let properties = schema["properties"] as? [String: Any] else {
            return
        }
        for key in (schema["required"] as? [String]) ?? [] {
            #expect(object[key] != nil, "\(context) has no \(key)")
        }
        for (key, property) in properties {
            guard let v = object[key], var p = property as? [String: Any] else { continue }
            if let ref = p["$ref"] as? String {
                p = (components[String(ref.split(separator: "/").last ?? "")] as? [String: Any]) ?? [:]
            }
            let allowed = (p["type"] as? [String]) ?? (p["type"] as? String).map { [$0] } ?? []
            if !allowed.isEmpty { #expect(allowed.contains { matches(v, $0) }, "\(context).\(key) is not \(allowed)") }
        }
    }

    @Test("the OpenAPI document describes exactly the router's API routes, and answers have its shapes")
    func openAPI() throws {
        defer { server.stop() }
        var client = HTTPTestClient(port: server.port)
        let auth = [("Authorization", "Bearer \(f.adminToken)")]
        let doc = try client.get("/api/v1/openapi.json", headers: auth)
        #expect(doc.status == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(doc.body)) as? [String: Any])
        #expect(json["openapi"] as? String == "3.1.0")
        let paths = try #require(json["paths"] as? [String: [String: Any]])
        let components = try #require((json["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let documented = Set(paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } })
        // Exactly the routes the router serves.
        #expect(documented == Set(APIRoutes.table.map { "\($0.method) \($0.pattern)" }))
        #expect(documented.count == APIRoutes.table.count)
        func fill(_ path: String) -> String {
            path.replacingOccurrences(of: "{domain}", with: "example.com")
                .replacingOccurrences(of: "{ip}", with: "209.85.220.41").replacingOccurrences(of: "{id}", with: "1")
        }
        func operation(_ method: String, _ path: String) throws -> [String: Any] {
            try #require(paths[path]?[method] as? [String: Any], "\(method) \(path)")
        }
        func responses(_ op: [String: Any]) -> [String: [String: Any]] {
            (op["responses"] as? [String: [String: Any]]) ?? [:]
        }
        func schema(_ op: [String: Any], _ status: String, _ type: String = "application/json") -> [String: Any]? {
            ((responses(op)[status]?["content"] as? [String: Any])?[type] as? [String: Any])?["schema"]
                as? [String: Any]
        }
        // Every GET answers 200 with the shape its schema gives.
        for entry in documented where entry.hasPrefix("GET ") {
            let path = String(entry.dropFirst(4))
            let op = try operation("get", path)
            let r = try client.get(fill(path), headers: auth)
            #expect(r.status == 200, "\(entry) answered \(r.status)")
            guard let schema = schema(op, "200") else {
                #expect(path == "/api/v1/reports/{id}/raw", "\(entry) has no JSON schema")
                continue
            }
            if r.header("content-type") == "application/json" {
                let value = try JSONSerialization.jsonObject(with: Data(r.body), options: [.fragmentsAllowed])
                Self.conforms(value, schema, components, entry)
            }
        }
        // Every error is documented as the Error object.
        for (path, methods) in paths {
            for (method, any) in methods {
                let op = try #require(any as? [String: Any])
                for (status, _) in responses(op) where status != "200" {
                    if status == "422" { continue }
                    #expect(
                        schema(op, status)?["$ref"] as? String == "#/components/schemas/Error",
                        "\(method) \(path) \(status)")
                }
            }
        }
        // A malformed {id} or {ip} is 404, as documented; such an operation documents no 400.
        for (path, bad) in [
            ("/api/v1/reports/{id}", "/api/v1/reports/abc"), ("/api/v1/sources/{ip}", "/api/v1/sources/x"),
        ] {
            let r = try client.get(bad, headers: auth)
            #expect(r.status == 404, "\(bad)")
            #expect(responses(try operation("get", path))["404"] != nil)
            #expect((try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])?["error"] is String)
        }
        #expect(responses(try operation("get", "/api/v1/reports/{id}"))["400"] == nil)
        #expect(try client.get("/api/v1/secrets", headers: auth).status == 404)

        // The POST routes take the content types the document gives them.
        let upload = try operation("post", "/api/v1/reports")
        let uploadTypes = Set(
            ((upload["requestBody"] as? [String: Any])?["content"] as? [String: Any])?.keys ?? [:].keys)
        #expect(uploadTypes == ["application/octet-stream", "multipart/form-data"])
        for status in ["413", "422", "503"] { #expect(responses(upload)[status] != nil, "upload \(status)") }
        let xml = aggregateXML(
            org: "OpenAPI", reportID: "oa-1", domain: "openapi.example", begin: WebFixture.lastDay * 86_400,
            records: [TestRecord(ip: "192.0.2.8", count: 2, headerFrom: "openapi.example")])
        let octets = try client.request(
            "POST", "/api/v1/reports?name=oa.xml", headers: auth + [("Content-Type", "application/octet-stream")],
            body: Array(xml.utf8))
        #expect(octets.status == 200)
        Self.conforms(
            try JSONSerialization.jsonObject(with: Data(octets.body)), try #require(schema(upload, "200")), components,
            "upload")
        let boundary = "openapi-boundary"
        var multipart = Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"oa2.xml\"\r\n\r\n".utf8)
        multipart +=
            Array(xml.replacingOccurrences(of: "oa-1", with: "oa-2").utf8) + Array("\r\n--\(boundary)--\r\n".utf8)
        let parts = try client.request(
            "POST", "/api/v1/reports", headers: auth + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
            body: multipart)
        #expect(parts.status == 200)
        #expect((try JSONSerialization.jsonObject(with: Data(parts.body)) as? [String: Any])?["imported"] as? Int == 1)
        let decision = try operation("post", "/api/v1/domains/{domain}/sources/{ip}/decision")
        let body = try #require(
            ((decision["requestBody"] as? [String: Any])?["content"] as? [String: Any])?[
                "application/x-www-form-urlencoded"] as? [String: Any])
        let fields = try #require((body["schema"] as? [String: Any])?["properties"] as? [String: Any])
        #expect(Set(fields.keys) == ["verdict", "note", "csrf"])
        let decided = try client.post(
            "/api/v1/domains/example.com/sources/203.0.113.9/decision",
            form: [("verdict", "not-mine"), ("note", "spoofer")],
            headers: auth)
        #expect(decided.status == 200)
        Self.conforms(
            try JSONSerialization.jsonObject(with: Data(decided.body)), try #require(schema(decision, "200")),
            components, "decision")
        let sources = try client.get("/api/v1/domains/example.com/sources", headers: auth).text
        #expect(sources.contains("\"decided\":true"))
        let wrong = try client.post(
            "/api/v1/domains/example.com/sources/203.0.113.9/decision", form: [("verdict", "maybe")], headers: auth)
        #expect(wrong.status == 400)
        #expect(responses(decision)["400"] != nil)
        #expect((try JSONSerialization.jsonObject(with: Data(wrong.body)) as? [String: Any])?["error"] is String)
        // Responses have the numbers of the fixture.
        let overview = try #require(
            try JSONSerialization.jsonObject(with: Data(try client.get("/api/v1/overview", headers: auth).body))
                as? [String: Any])
        let totals = try #require(overview["totals"] as? [String: Any])
        #expect(totals["messages"] as? Int == 1_495 + 300 + 3 + 2 + 2)
    }
}

extension String {
    var csrfToken: String? {
        guard let r = range(of: "name=\"csrf\" value=\"") else { return nil }
        let token = self[r.upperBound...].prefix { $0 != "\"" }
        return token.isEmpty ? nil : String(token)
    }
}
