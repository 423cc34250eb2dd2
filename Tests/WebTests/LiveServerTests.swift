import DMARCCore
import DMARCWeb
import Foundation
import TestServers
import Testing

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

    @Test("the OpenAPI document describes every API route, and every path in it answers")
    func openAPI() throws {
        defer { server.stop() }
        var client = HTTPTestClient(port: server.port)
        let auth = [("Authorization", "Bearer \(f.adminToken)")]
        let doc = try client.get("/api/v1/openapi.json", headers: auth)
        #expect(doc.status == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(doc.body)) as? [String: Any])
        #expect(json["openapi"] as? String == "3.1.0")
        let paths = try #require(json["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } })
        // Every GET documented answers 200 with its parameters filled in.
        for entry in documented where entry.hasPrefix("GET ") {
            let path = String(entry.dropFirst(4)).replacingOccurrences(of: "{domain}", with: "example.com")
                .replacingOccurrences(of: "{ip}", with: "209.85.220.41").replacingOccurrences(of: "{id}", with: "1")
            let r = try client.get(path, headers: auth)
            #expect(r.status == 200, "\(entry) answered \(r.status)")
        }
        // Every route the API serves is documented (the list below is what APIRoutes handles).
        let served: Set<String> = [
            "GET /api/v1/openapi.json", "GET /api/v1/overview", "GET /api/v1/domains", "GET /api/v1/domains/{domain}",
            "GET /api/v1/domains/{domain}/summary", "GET /api/v1/sources/{ip}", "GET /api/v1/reports",
            "POST /api/v1/reports", "GET /api/v1/reports/{id}", "GET /api/v1/reports/{id}/raw", "GET /api/v1/health",
            "GET /api/v1/export", "GET /api/v1/domains/{domain}/sources", "GET /api/v1/domains/{domain}/readiness",
            "POST /api/v1/domains/{domain}/sources/{ip}/decision",
        ]
        #expect(documented == served)
        // A path not in the document is not served.
        #expect(try client.get("/api/v1/secrets", headers: auth).status == 404)
        // Responses have the shapes the document names.
        let overview = try #require(
            try JSONSerialization.jsonObject(with: Data(try client.get("/api/v1/overview", headers: auth).body))
                as? [String: Any])
        let totals = try #require(overview["totals"] as? [String: Any])
        #expect(totals["messages"] as? Int == 1_495 + 300 + 3)
    }
}

extension String {
    var csrfToken: String? {
        guard let r = range(of: "name=\"csrf\" value=\"") else { return nil }
        let token = self[r.upperBound...].prefix { $0 != "\"" }
        return token.isEmpty ? nil : String(token)
    }
}
