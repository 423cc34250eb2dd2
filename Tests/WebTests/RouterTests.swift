import DMARCStore
import Foundation
import TestServers
import Testing

@testable import DMARCWeb

@Suite("Web router: sign-in, sessions, CSRF, roles, escaping")
struct RouterTests {
    let f: WebFixture

    init() throws { f = try WebFixture() }

    /// A route pattern with its parameters filled in with the fixture's values.
    static func fill(_ pattern: String) -> String {
        pattern.replacingOccurrences(of: "{domain}", with: "example.com")
            .replacingOccurrences(of: "{ip}", with: "203.0.113.9").replacingOccurrences(of: "{id}", with: "1")
    }

    /// A form body that the route would act on with a session and its token.
    static let formBody = Array(
        "domain=csrf.example&policy=none&id=1&verdict=not-mine&language=ja&back=%2F".utf8)

    /// What POST routes would change, to check that a refused request changed nothing.
    func state() throws -> [String] {
        let store = try f.store()
        return try store.registeredDomains().map(\.name) + store.auditEntries().map(\.action)
            + [String(try store.reports(ReportFilter()).count)]
            + [f.send("GET", "/api/v1/domains/example.com/sources", headers: f.bearer(f.adminToken)).text]
    }

    @Test(
        "without a session: /healthz and sign-in answer; every route of the page table redirects to sign-in, every API route is 401"
    )
    func everythingNeedsASession() throws {
        #expect(f.send("GET", "/healthz").status == 200)
        #expect(f.send("GET", "/signin").status == 200)
        let before = try state()
        let form = ["content-type": "application/x-www-form-urlencoded"]
        #expect(PageRoutes.table.count >= 20)
        for route in PageRoutes.table {
            let path = Self.fill(route.pattern)
            let r = f.send(route.method, path, headers: form, body: route.method == "POST" ? Self.formBody : [])
            #expect(r.status == 303, "\(route.method) \(path)")
            // A GET comes back to where it was going after sign-in; a POST does not.
            let location = route.method == "GET" ? "/signin" + queryString([("next", path)]) : "/signin"
            #expect(r.header("Location") == location, "\(route.method) \(path)")
        }
        for route in APIRoutes.table {
            let path = Self.fill(route.pattern)
            let r = f.send(route.method, path, headers: form, body: route.method == "POST" ? Self.formBody : [])
            #expect(r.status == 401, "\(route.method) \(path)")
            #expect((r.json as? [String: String])?["error"] == "Sign in, or send an API token.", "\(path)")
        }
        #expect(try state() == before)
        #expect(
            f.send("GET", "/api/v1/overview", headers: f.bearer("dmw_" + String(repeating: "0", count: 64))).status
                == 401)
        #expect(
            f.send("GET", "/", headers: ["cookie": "dmw_session=" + String(repeating: "a", count: 64)]).status == 303)
    }

    @Test("with a session cookie, every POST route refuses a request without its CSRF token and changes nothing")
    func everyPostNeedsItsToken() throws {
        let s = try f.signIn("alice")
        let before = try state()
        var form = s.headers
        form["content-type"] = "application/x-www-form-urlencoded"
        let routes = PageRoutes.table.filter { $0.method == "POST" } + APIRoutes.table.filter { $0.method == "POST" }
        #expect(routes.count >= 9)
        for route in routes {
            let path = Self.fill(route.pattern)
            let missing = f.send("POST", path, headers: form, body: Self.formBody)
            #expect(missing.status == 403, "\(path) without a token: \(missing.status)")
            let wrong = f.send(
                "POST", path, headers: form,
                body: Self.formBody + Array("&csrf=\(String(repeating: "0", count: 64))".utf8))
            #expect(wrong.status == 403, "\(path) with a wrong token: \(wrong.status)")
            // The upload's raw body too: a report sent with the cookie and no token.
            if path.hasPrefix("/api/v1/reports") || path == "/upload" {
                var raw = s.headers
                raw["content-type"] = "application/octet-stream"
                let xml = aggregateXML(
                    org: "CSRF", reportID: "csrf-1", domain: "csrf.example", begin: WebFixture.lastDay * 86_400,
                    records: [TestRecord(ip: "192.0.2.3", count: 1, headerFrom: "csrf.example")])
                #expect(f.send("POST", path, headers: raw, body: Array(xml.utf8)).status == 403, "\(path)")
            }
        }
        #expect(try state() == before)
        // The session still works, and the token in a header is accepted for the API.
        var header = s.headers
        header["x-csrf-token"] = s.csrf
        header["content-type"] = "application/x-www-form-urlencoded"
        let decided = f.send(
            "POST", "/api/v1/domains/example.com/sources/203.0.113.9/decision", headers: header,
            body: Array("verdict=not-mine".utf8))
        #expect(decided.status == 200)
    }

    @Test("sign-in sets an HttpOnly SameSite session cookie; a wrong password or a missing form token is refused")
    func signIn() throws {
        let form = f.send("GET", "/signin")
        let pre = try #require(cookie(form, SessionCookie.signIn))
        let csrf = try #require(hiddenCSRF(form.text))
        func post(_ body: String, cookie: String) -> HTTPResponse {
            f.send(
                "POST", "/signin",
                headers: ["cookie": cookie, "content-type": "application/x-www-form-urlencoded"], body: Array(body.utf8)
            )
        }
        #expect(post("name=alice&password=correct+horse+battery", cookie: "dmw_signin=\(pre)").status == 403)
        #expect(post("csrf=\(csrf)&name=alice&password=correct+horse+battery", cookie: "").status == 403)
        #expect(post("csrf=\(csrf)&name=alice&password=wrong+password", cookie: "dmw_signin=\(pre)").status == 401)
        #expect(
            post("csrf=\(csrf)&name=nobody&password=correct+horse+battery", cookie: "dmw_signin=\(pre)").status == 401)
        let ok = post(
            "csrf=\(csrf)&name=alice&password=correct+horse+battery&next=%2Fdomains", cookie: "dmw_signin=\(pre)")
        #expect(ok.status == 303)
        #expect(ok.header("Location") == "/domains")
        let set = try #require(ok.headers.first { $0.0 == "Set-Cookie" && $0.1.hasPrefix("dmw_session=") }?.1)
        #expect(set.contains("HttpOnly"))
        #expect(set.contains("SameSite=Lax"))
        let token = try #require(cookie(ok, SessionCookie.session))
        #expect(token.count == 64)
        // The store keeps only the digest of the token.
        #expect(try f.store().session(tokenHash: token) == nil)
        #expect(try f.store().session(tokenHash: SecretToken.digest(token))?.user.name == "alice")
        // An open redirect through `next` is refused.
        let evil = post(
            "csrf=\(csrf)&name=alice&password=correct+horse+battery&next=%2F%2Fevil.example",
            cookie: "dmw_signin=\(pre)")
        #expect(evil.header("Location") == "/")
    }

    /// Posts the sign-in form for `name` from `address`; the status.
    func attempt(_ name: String, _ password: String, from address: String) throws -> Int {
        let form = f.send("GET", "/signin", from: address)
        let pre = try #require(cookie(form, SessionCookie.signIn))
        let csrf = try #require(hiddenCSRF(form.text))
        return f.send(
            "POST", "/signin",
            headers: ["cookie": "dmw_signin=\(pre)", "content-type": "application/x-www-form-urlencoded"],
            body: Array("csrf=\(csrf)&name=\(name)&password=\(password)".utf8), from: address
        ).status
    }

    static let right = "correct+horse+battery"

    @Test("five failures lock a user name at that address only: the same user from another address still signs in")
    func throttling() throws {
        for _ in 0..<5 { #expect(try attempt("bob", "nope-nope-nope", from: "192.0.2.10") == 401) }
        #expect(try attempt("bob", Self.right, from: "192.0.2.10") == 429)
        // Bob elsewhere, and another user at the same address, are not locked by it.
        #expect(try attempt("bob", Self.right, from: "192.0.2.11") == 303)
        #expect(try attempt("alice", Self.right, from: "192.0.2.10") == 303)
        // Signing in elsewhere does not lift the lock where the failures were.
        #expect(try attempt("bob", Self.right, from: "192.0.2.10") == 429)
    }

    @Test("twenty failures from one address lock it for every user name; other addresses are not affected")
    func addressLock() throws {
        for n in 0..<4 {
            for _ in 0..<5 { #expect(try attempt("nobody\(n)", "nope-nope-nope", from: "198.51.100.5") == 401) }
        }
        #expect(try attempt("alice", Self.right, from: "198.51.100.5") == 429)
        #expect(try attempt("alice", Self.right, from: "198.51.100.6") == 303)
    }

    @Test("a hundred failures for one user name across addresses lock it everywhere; other users are not affected")
    func distributedGuessing() throws {
        for a in 0..<20 {
            for _ in 0..<5 { #expect(try attempt("bob", "nope-nope-nope", from: "203.0.113.\(a)") == 401) }
        }
        #expect(try attempt("bob", Self.right, from: "203.0.113.200") == 429)
        #expect(try attempt("alice", Self.right, from: "203.0.113.200") == 303)
    }

    @Test("the audit log names only accounts that exist, and logs a lock once however often it is tried")
    func auditLog() throws {
        let typed = "correct horse battery staple"
        for _ in 0..<5 {
            #expect(try attempt(typed.replacingOccurrences(of: " ", with: "+"), "x", from: "192.0.2.30") == 401)
        }
        for _ in 0..<3 {
            #expect(try attempt(typed.replacingOccurrences(of: " ", with: "+"), "x", from: "192.0.2.30") == 429)
        }
        for _ in 0..<5 { #expect(try attempt("bob", "nope-nope-nope", from: "192.0.2.31") == 401) }
        for _ in 0..<4 { #expect(try attempt("bob", Self.right, from: "192.0.2.31") == 429) }
        let log = try f.store().auditEntries()
        #expect(!log.contains { ($0.user ?? "").contains("staple") || ($0.detail ?? "").contains("staple") })
        let unknown = log.filter { $0.action == "signin.failed" && $0.user == nil }
        #expect(unknown.count == 5)
        #expect(unknown.allSatisfy { $0.detail == "unknown user; 192.0.2.30" })
        #expect(log.filter { $0.action == "signin.failed" && $0.user == "bob" }.count == 5)
        let throttled = log.filter { $0.action == "signin.throttled" }
        #expect(throttled.count == 2)
        #expect(throttled.contains { $0.user == nil && $0.detail?.hasPrefix("unknown user; 192.0.2.30") == true })
        #expect(throttled.contains { $0.user == "bob" && $0.detail?.hasPrefix("192.0.2.31") == true })
    }

    @Test("a form posted without its CSRF token is refused; with it, it works; sign-out ends the session")
    func csrf() throws {
        let s = try f.signIn("alice")
        var headers = s.headers
        headers["content-type"] = "application/x-www-form-urlencoded"
        #expect(
            f.send("POST", "/settings/language", headers: headers, body: Array("language=ja&back=%2F".utf8)).status
                == 403)
        #expect(
            f.send(
                "POST", "/settings/language", headers: headers,
                body: Array("language=ja&back=%2F&csrf=\(String(repeating: "0", count: 64))".utf8)
            ).status == 403)
        #expect(f.send("POST", "/signout", headers: headers, body: []).status == 403)
        let ok = f.send(
            "POST", "/settings/language", headers: headers,
            body: Array("language=ja&back=%2Freports&csrf=\(s.csrf)".utf8))
        #expect(ok.status == 303)
        #expect(ok.header("Location") == "/reports")
        #expect(f.send("GET", "/", headers: s.headers).text.contains("概要"))
        #expect(f.send("POST", "/signout", headers: headers, body: Array("csrf=\(s.csrf)".utf8)).status == 303)
        #expect(f.send("GET", "/", headers: s.headers).status == 303)
    }

    @Test("the pages render the fixture's numbers")
    func pagesShowData() throws {
        let s = try f.signIn("alice")
        let overview = f.send("GET", "/", headers: s.headers)
        #expect(overview.status == 200)
        // example.com over the 10 days: Google 100+…+109 = 1045, the ESP 400, the spoofer 50.
        #expect(overview.text.contains(">1,495<"))
        #expect(overview.text.contains("example.com"))
        #expect(overview.text.contains("other.org"))
        #expect(overview.text.contains("<svg"))
        let domain = f.send("GET", "/domains/example.com", headers: s.headers)
        #expect(domain.status == 200)
        #expect(domain.text.contains("209.85.220.41"))
        #expect(domain.text.contains("203.0.113.9"))
        // Failing only: the spoofer; the ESP passes DMARC through SPF, Google through both.
        let failing = f.send("GET", "/domains/example.com", query: [("failing", "1")], headers: s.headers)
        #expect(!failing.text.contains("209.85.220.41"))
        #expect(!failing.text.contains("167.89.10.20"))
        #expect(failing.text.contains("203.0.113.9"))
        let source = f.send("GET", "/sources/167.89.10.20", headers: s.headers)
        #expect(source.status == 200)
        #expect(source.text.contains("sendgrid.net"))
        for path in ["/domains", "/reports", "/health", "/upload", "/domains/example.com/summary", "/reports/1"] {
            #expect(f.send("GET", path, headers: s.headers).status == 200, "\(path)")
        }
        let raw = f.send("GET", "/reports/1/raw", headers: s.headers)
        #expect(raw.status == 200)
        #expect(raw.text.hasPrefix("<?xml"))
        #expect(raw.header("Content-Disposition")?.hasPrefix("attachment;") == true)
        #expect(f.send("GET", "/nowhere", headers: s.headers).status == 404)
        #expect(f.send("GET", "/", query: [("period", "13")], headers: s.headers).status == 400)
    }

    @Test("a member sees only their domains: pages, API, export, raw files and guessed URLs")
    func memberIsolation() throws {
        let s = try f.signIn("bob")
        let store = try f.store()
        let otherReport = try #require(try store.reports(ReportFilter(domains: ["other.org"]), limit: 1).first?.id)
        let ownReport = try #require(try store.reports(ReportFilter(domains: ["example.com"]), limit: 1).first?.id)
        let overview = f.send("GET", "/", headers: s.headers).text
        #expect(overview.contains("example.com"))
        #expect(!overview.contains("other.org"))
        #expect(!overview.contains("hostile.test"))
        for path in [
            "/domains/other.org", "/domains/other.org/summary", "/domains/other.org/dns", "/reports/\(otherReport)",
            "/reports/\(otherReport)/raw",
        ] {
            #expect(f.send("GET", path, headers: s.headers).status == 404, "\(path)")
        }
        #expect(f.send("GET", "/reports/\(ownReport)", headers: s.headers).status == 200)
        #expect(f.send("GET", "/reports", query: [("domain", "other.org")], headers: s.headers).status == 404)
        #expect(!f.send("GET", "/reports", headers: s.headers).text.contains("other.org"))
        #expect(!f.send("GET", "/domains", headers: s.headers).text.contains("other.org"))
        // The other domain's only source shows no records to bob.
        #expect(!f.send("GET", "/sources/198.51.100.77", headers: s.headers).text.contains("other.org"))
        #expect(f.send("GET", "/health", headers: s.headers).status == 403)
        #expect(f.send("GET", "/upload", headers: s.headers).status == 403)

        let token = f.bearer(f.memberToken)
        for path in [
            "/api/v1/domains/other.org", "/api/v1/domains/other.org/summary", "/api/v1/reports/\(otherReport)",
            "/api/v1/reports/\(otherReport)/raw",
        ] {
            #expect(f.send("GET", path, headers: token).status == 404, "\(path)")
        }
        for path in ["/api/v1/overview", "/api/v1/domains", "/api/v1/reports", "/api/v1/export"] {
            let r = f.send("GET", path, headers: token)
            #expect(r.status == 200, "\(path)")
            #expect(!r.text.contains("other.org"), "\(path)")
            #expect(r.text.contains("example.com"), "\(path)")
        }
        #expect(!f.send("GET", "/api/v1/export", query: [("format", "csv")], headers: token).text.contains("other.org"))
        #expect(f.send("GET", "/api/v1/health", headers: token).status == 403)
        #expect(f.send("POST", "/api/v1/reports", headers: token, body: Array("x".utf8)).status == 403)
        #expect(
            !f.send("GET", "/api/v1/sources/198.51.100.77", headers: token).text.contains("other.org"))
        // A domain filter or path naming another domain is not found, however it is asked.
        for (path, query) in [
            ("/api/v1/export", [("domain", "other.org")]),
            ("/api/v1/export", [("domain", "other.org"), ("format", "csv")]),
            ("/api/v1/reports", [("domain", "other.org")]), ("/api/v1/domains/other.org/sources", []),
            ("/api/v1/domains/other.org/readiness", []),
        ] {
            let r = f.send("GET", path, query: query, headers: token)
            #expect(r.status == 404, "\(path) \(query)")
            #expect(!r.text.contains("198.51.100.77"), "\(path)")
        }
        for path in ["/domains/other.org/readiness", "/domains/other.org/sources"] {
            let r = f.send("GET", path, headers: s.headers)
            #expect(r.status == 404, "\(path)")
            #expect(!r.text.contains("198.51.100.77"), "\(path)")
        }
    }

    @Test("what enrichment knows of an address seen only in another domain is hidden from a member")
    func memberEnrichment() throws {
        let store = try f.store()
        try store.saveIPInfo([
            IPInfo(
                ip: "198.51.100.77", ptr: "mx.secret-other.example", forwardConfirmed: true,
                baseDomain: "secret-other.example", problem: nil),
            IPInfo(
                ip: "209.85.220.41", ptr: "mail-sor-f41.google.com", forwardConfirmed: true, baseDomain: "google.com",
                problem: nil),
        ])
        try store.saveNetworkOwner(ip: "198.51.100.77", owner: "Secret Other Networks", handle: "NET-SECRET")
        let bob = try f.signIn("bob")
        let alice = try f.signIn("alice")
        for headers in [bob.headers, f.bearer(f.memberToken)] {
            for path in ["/sources/198.51.100.77", "/api/v1/sources/198.51.100.77"] {
                let text = f.send("GET", path, headers: headers).text
                #expect(!text.contains("secret-other"), "\(path)")
                #expect(!text.contains("Secret Other Networks"), "\(path)")
            }
        }
        // The admin sees it; and bob sees what is known of an address in his own domain.
        #expect(
            f.send("GET", "/sources/198.51.100.77", headers: alice.headers).text.contains("mx.secret-other.example"))
        #expect(f.send("GET", "/sources/198.51.100.77", headers: alice.headers).text.contains("Secret Other Networks"))
        #expect(f.send("GET", "/sources/209.85.220.41", headers: bob.headers).text.contains("mail-sor-f41.google.com"))
        #expect(!f.send("GET", "/domains/example.com", headers: bob.headers).text.contains("secret-other"))
    }

    @Test("report content is text: markup in org_name, report_id, header_from and DKIM domain is escaped")
    func hostileContentIsInert() throws {
        let s = try f.signIn("alice")
        let store = try f.store()
        let id = try #require(try store.reports(ReportFilter(domains: ["hostile.test"]), limit: 1).first?.id)
        for path in [
            "/", "/reports", "/reports/\(id)", "/domains/hostile.test", "/sources/192.0.2.66",
            "/domains/hostile.test/summary",
        ] {
            let html = f.send("GET", path, headers: s.headers).text
            #expect(!html.contains("<script"), "\(path)")
            #expect(!html.contains("<img"), "\(path)")
        }
        let detail = f.send("GET", "/reports/\(id)", headers: s.headers).text
        #expect(detail.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(detail.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"))
        let source = f.send("GET", "/sources/192.0.2.66", headers: s.headers)
        #expect(source.text.contains("d=&lt;script&gt;"))
        #expect(source.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        // The JSON API carries the same strings as JSON strings, served as JSON.
        let api = f.send("GET", "/api/v1/reports/\(id)", headers: f.bearer(f.adminToken))
        #expect(api.contentType == "application/json")
        #expect(api.text.contains("\"org_name\":\"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\""))
        #expect(!api.text.contains("<script>"))
        #expect(!api.text.contains("<img"))
        // Decoded, the JSON holds exactly what the report said.
        #expect((api.json as? [String: Any])?["org_name"] as? String == WebFixture.hostile)
    }

    @Test("Accept-Language picks Japanese; the user's choice wins over it")
    func language() throws {
        let s = try f.signIn("alice", language: "ja,en;q=0.5")
        var headers = s.headers
        headers["accept-language"] = "ja-JP,ja;q=0.9,en;q=0.8"
        let ja = f.send("GET", "/", headers: headers).text
        #expect(ja.contains("<html lang=\"ja\">"))
        #expect(ja.contains("概要"))
        headers["accept-language"] = "en-GB"
        #expect(f.send("GET", "/", headers: headers).text.contains("<html lang=\"en\">"))
        #expect(f.send("GET", "/signin", headers: ["accept-language": "ja"]).text.contains("ログイン"))
    }

    @Test("uploads through the API import with the real pipeline; bad files are named with their error")
    func apiUpload() throws {
        let xml = aggregateXML(
            org: "Uploader", reportID: "up-1", domain: "upload.example", begin: WebFixture.lastDay * 86_400,
            records: [TestRecord(ip: "192.0.2.1", count: 7, headerFrom: "upload.example", dkimDomain: "upload.example")]
        )
        let token = f.bearer(f.adminToken)
        let r = f.send("POST", "/api/v1/reports", query: [("name", "up.xml")], headers: token, body: Array(xml.utf8))
        #expect(r.status == 200)
        let json = try #require(r.json as? [String: Any])
        #expect(json["imported"] as? Int == 1)
        #expect(json["records"] as? Int == 1)
        let again = f.send("POST", "/api/v1/reports", headers: token, body: Array(xml.utf8)).json as? [String: Any]
        #expect(again?["duplicates"] as? Int == 1)
        let bad = f.send(
            "POST", "/api/v1/reports", query: [("name", "bad.xml")], headers: token, body: Array("<feedback><oops".utf8)
        )
        #expect(bad.status == 422)
        #expect(bad.text.contains("bad.xml"))
        #expect(f.send("GET", "/api/v1/domains/upload.example", headers: token).text.contains("192.0.2.1"))
    }
}

@Suite("Web router: hostile requests and reports")
struct HostileRequestTests {
    let f: WebFixture

    init() throws { f = try WebFixture() }

    @Test("uploads up to the upload limit only for a signed-in administrator; others get the 64 KiB form limit")
    func uploadLimitNeedsAdmin() {
        func limit(_ headers: [String: String]) -> Int {
            f.app.bodyLimit(HTTPRequest(method: "POST", path: "/api/v1/reports", headers: headers))
        }
        #expect(limit([:]) == 64 << 10)
        #expect(limit(f.bearer(f.memberToken)) == 64 << 10)
        #expect(limit(f.bearer(f.adminToken)) == WebApp.defaultMaximumUpload)
        #expect(f.app.bodyLimit(HTTPRequest(method: "POST", path: "/signin")) == 64 << 10)
    }

    @Test("a multipart body of thousands of empty parts is parsed in bounded time and refused")
    func multipartFlood() throws {
        let s = try f.signIn("alice")
        var body = Array("--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n\(s.csrf)\r\n".utf8)
        for _ in 0..<20_000 { body += Array("--x\r\nA".utf8) }
        body += Array("\r\n--x--\r\n".utf8)
        var headers = s.headers
        headers["content-type"] = "multipart/form-data; boundary=x"
        let r = f.send("POST", "/upload", headers: headers, body: body)
        #expect(r.status == 200)
        #expect(r.text.contains("Choose at least one file"))
    }

    @Test("counts near the parser's limit do not crash the pages")
    func hugeCounts() throws {
        var records: [TestRecord] = []
        for i in 0..<50 {
            records.append(
                TestRecord(ip: "192.0.2.\(i)", count: 1 << 40, dkim: "fail", spf: "fail", headerFrom: "big.example"))
        }
        let xml = aggregateXML(
            org: "Huge", reportID: "h1", domain: "big.example", begin: WebFixture.lastDay * 86_400, records: records)
        let xml2 = xml.replacingOccurrences(of: "h1", with: "h2")
        let token = f.bearer(f.adminToken)
        #expect(f.send("POST", "/api/v1/reports", headers: token, body: Array(xml.utf8)).status == 200)
        #expect(f.send("POST", "/api/v1/reports", headers: token, body: Array(xml2.utf8)).status == 200)
        let s = try f.signIn("alice")
        for path in ["/", "/domains/big.example", "/domains/big.example/summary", "/sources/192.0.2.1"] {
            #expect(f.send("GET", path, headers: s.headers).status == 200, "\(path)")
        }
    }

    @Test("a member cannot download a raw file that also holds another domain's report")
    func mixedRawDocument() throws {
        // One mbox with a report for each domain: one raw document, two reports.
        let a = aggregateXML(
            org: "Mixed", reportID: "m1", domain: "example.com", begin: WebFixture.lastDay * 86_400,
            records: [TestRecord(ip: "192.0.2.200", count: 1, headerFrom: "example.com")])
        let b = aggregateXML(
            org: "Mixed", reportID: "m2", domain: "other.org", begin: WebFixture.lastDay * 86_400,
            records: [TestRecord(ip: "192.0.2.201", count: 1, headerFrom: "other.org")])
        let message = """
            From: dmarc@reporter.example
            To: rua@example.com
            Subject: reports
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b"

            --b
            Content-Type: text/xml; name="a.xml"
            Content-Disposition: attachment; filename="a.xml"

            \(a)
            --b
            Content-Type: text/xml; name="b.xml"
            Content-Disposition: attachment; filename="b.xml"

            \(b)
            --b--

            """
        let up = f.send("POST", "/api/v1/reports", headers: f.bearer(f.adminToken), body: Array(message.utf8))
        #expect(up.status == 200)
        let store = try f.store()
        let id = try #require(
            try store.reports(ReportFilter(domains: ["example.com"]), reporter: "Mixed", limit: 1).first?.id)
        let bob = try f.signIn("bob")
        #expect(f.send("GET", "/reports/\(id)", headers: bob.headers).status == 200)
        #expect(f.send("GET", "/reports/\(id)/raw", headers: bob.headers).status == 404)
        let alice = try f.signIn("alice")
        #expect(f.send("GET", "/reports/\(id)/raw", headers: alice.headers).status == 200)
    }

    @Test("Strict-Transport-Security only when the trusted proxy says the browser came over HTTPS")
    func strictTransportSecurity() throws {
        let proxied = try WebFixture(trustedProxy: "10.0.0.1")
        func hsts(from address: String, _ headers: [String: String]) -> String? {
            proxied.send("GET", "/signin", headers: headers, from: address).header("Strict-Transport-Security")
        }
        let https = ["x-forwarded-proto": "https", "x-forwarded-for": "192.0.2.1"]
        #expect(hsts(from: "10.0.0.1", https) == "max-age=31536000")
        #expect(hsts(from: "10.0.0.1", ["x-forwarded-proto": "http"]) == nil)
        #expect(hsts(from: "10.0.0.1", [:]) == nil)
        // Anyone else can send the header: it means nothing from them.
        #expect(hsts(from: "192.0.2.99", https) == nil)
        #expect(f.send("GET", "/signin", headers: https).header("Strict-Transport-Security") == nil)
    }

    @Test("a raw download is named from the domain and report id, not from where it came from")
    func rawFileName() throws {
        let xml = aggregateXML(
            org: "Named", reportID: "../../etc/passwd\"; x=1", domain: "example.com",
            begin: WebFixture.lastDay * 86_400,
            records: [TestRecord(ip: "192.0.2.210", count: 1, headerFrom: "example.com")])
        let up = f.send(
            "POST", "/api/v1/reports", query: [("name", "alice-secret-name.xml")], headers: f.bearer(f.adminToken),
            body: Array(xml.utf8))
        #expect(up.status == 200)
        let id = try #require(
            try f.store().reports(ReportFilter(domains: ["example.com"]), reporter: "Named").first?.id)
        let bob = try f.signIn("bob")
        let raw = f.send("GET", "/reports/\(id)/raw", headers: bob.headers)
        #expect(raw.status == 200)
        #expect(raw.header("Content-Disposition") == "attachment; filename=\"example.com-.._.._etc_passwd___x_1.xml\"")
        let plain = f.send("GET", "/reports/1/raw", headers: bob.headers)
        #expect(plain.header("Content-Disposition")?.hasSuffix(".xml\"") == true)
        #expect(plain.header("Content-Disposition")?.contains("google") == false)
    }

    @Test("a new password revokes the user's sessions and API tokens")
    func passwordChangeRevokes() throws {
        let s = try f.signIn("bob")
        try f.store().setPassword(name: "bob", passwordHash: try PasswordHasher.hash("another long password"))
        #expect(f.send("GET", "/", headers: s.headers).status == 303)
        #expect(f.send("GET", "/api/v1/overview", headers: f.bearer(f.memberToken)).status == 401)
    }
}

@Suite("Web: sources, decisions and readiness")
struct SourcesPageTests {
    @Test(
        "the sources page classes the fixture's senders; an admin's decision changes the class; members cannot decide")
    func sourcesAndDecisions() throws {
        let f = try WebFixture()
        let s = try f.signIn("alice")
        let page = f.send("GET", "/domains/example.com/sources", headers: s.headers)
        #expect(page.status == 200)
        // Headings say what their numbers count: Google 1,045 (100…109 a day) and the ESP 400.
        #expect(page.text.contains("Compliant · 2 sources · 1,445 messages"))
        #expect(page.text.contains("Suspicious · 1 source · 50 messages"))
        #expect(page.text.contains("<th>Your decision</th>"))
        // Nothing decided yet: nothing to forget.
        #expect(page.text.contains("value=\"approve\""))
        #expect(!page.text.contains("value=\"clear\""))
        let api = try #require(
            f.send("GET", "/api/v1/domains/example.com/sources", headers: f.bearer(f.adminToken)).json as? [String: Any]
        )
        let classes = Dictionary(
            uniqueKeysWithValues: ((api["sources"] as? [[String: Any]]) ?? []).map {
                ($0["ip"] as? String ?? "", $0["class"] as? String ?? "")
            })
        #expect(classes["209.85.220.41"] == "compliant")
        // The ESP passes through SPF: compliant too. The spoofer fails both with nothing to vouch for it.
        #expect(classes["167.89.10.20"] == "compliant")
        #expect(classes["203.0.113.9"] == "suspicious")

        var headers = s.headers
        headers["content-type"] = "application/x-www-form-urlencoded"
        let body = "verdict=approve&back=%2Fdomains%2Fexample.com%2Fsources&csrf=\(s.csrf)"
        let r = f.send(
            "POST", "/domains/example.com/sources/203.0.113.9/decision", headers: headers, body: Array(body.utf8))
        #expect(r.status == 303)
        #expect(r.header("Location") == "/domains/example.com/sources")
        let after = f.send("GET", "/api/v1/domains/example.com/sources", headers: f.bearer(f.adminToken)).text
        #expect(after.contains("\"decided\":true"))
        #expect(after.contains("Approved as yours by alice."))
        // Now the decided row, and only it, offers to forget the decision.
        let decided = f.send("GET", "/domains/example.com/sources", headers: s.headers).text
        #expect(decided.components(separatedBy: "value=\"clear\"").count == 2)
        #expect(decided.contains("Yours but failing · 1 source · 50 messages"))
        // Without the token: refused. A member: refused, and no decision column.
        #expect(
            f.send(
                "POST", "/domains/example.com/sources/203.0.113.9/decision", headers: headers,
                body: Array("verdict=clear".utf8)
            ).status == 403)
        let bob = try f.signIn("bob")
        #expect(!f.send("GET", "/domains/example.com/sources", headers: bob.headers).text.contains("Your decision"))
        var bobHeaders = bob.headers
        bobHeaders["content-type"] = "application/x-www-form-urlencoded"
        #expect(
            f.send(
                "POST", "/domains/example.com/sources/203.0.113.9/decision", headers: bobHeaders,
                body: Array("verdict=clear&csrf=\(bob.csrf)".utf8)
            ).status == 403)
        #expect(f.send("GET", "/domains/other.org/sources", headers: bob.headers).status == 404)
        #expect(f.send("GET", "/api/v1/domains/other.org/readiness", headers: f.bearer(f.memberToken)).status == 404)
    }

    @Test("without the live record, readiness says it used the newest report and prints no rua placeholder")
    func readinessFromReport() throws {
        let f = try WebFixture()
        let s = try f.signIn("alice")
        let page = f.send("GET", "/domains/example.com/readiness", headers: s.headers)
        #expect(page.status == 200)
        // The fixture's DNS answers nothing; its reports publish p=none; sp=none; adkim=r; aspf=r; pct=100.
        #expect(
            page.text.contains(
                "Policy in force, from the newest report (the DNS lookup failed: no DNS in this test): p=none; pct=100")
        )
        #expect(page.text.contains("10 days of reports."))
        #expect(
            page.text.contains(
                "<pre class=\"record\">v=DMARC1; p=quarantine; sp=none; adkim=r; aspf=r; t=y; pct=0</pre>"))
        #expect(!page.text.contains("rua=…") && !page.text.contains("rua=&"))
        let json = try #require(
            f.send("GET", "/api/v1/domains/example.com/readiness", headers: f.bearer(f.adminToken)).json
                as? [String: Any])
        #expect(json["days"] as? Int == 10)
        #expect((json["policy"] as? [String: Any])?["origin"] as? String == "report")
        let plan = try #require(json["plan"] as? [[String: Any]])
        #expect(plan.prefix(2).map { $0["code"] as? String } == ["plan.rua-unknown", "plan.sp-none"])
        // Only 10 days of reports: neither policy is ready yet.
        #expect((json["quarantine"] as? [String: Any])?["ready"] as? Bool == false)
        let sim = try #require((json["simulations"] as? [[String: Any]])?.first)
        #expect(sim["suspicious_messages"] as? Int == 50)
    }

    static let zone = [
        #"txt-record=_dmarc.shop.test,"v=DMARC1; p=quarantine; pct=25; rua=mailto:dmarc@shop.test; ruf=mailto:ruf@shop.test; fo=1""#
    ]

    @Test("with the live record: the plan goes on from pct=25, keeps rua/ruf/fo, and numbers are grouped")
    func readinessFromDNS() throws {
        let dns = try DNSTestServer(zone: Self.zone)
        let f = try WebFixture(nameserver: dns.nameserver)
        // Ten daily reports for shop.test (they say p=none; DNS says quarantine at 25%): an own
        // server passing, and one failing 1,234 a day while aligned SPF passes on its other 1,300
        // (the tie that makes it yours).
        for i in 0..<10 {
            let records = [
                TestRecord(ip: "192.0.2.10", count: 10_000, headerFrom: "shop.test", dkimDomain: "shop.test"),
                TestRecord(ip: "198.51.100.5", count: 1_300, dkim: "fail", spf: "pass", headerFrom: "shop.test"),
                TestRecord(ip: "198.51.100.5", count: 1_234, dkim: "fail", spf: "fail", headerFrom: "shop.test"),
            ]
            let xml = aggregateXML(
                org: "Reporter", reportID: "shop-\(i)", domain: "shop.test",
                begin: (WebFixture.lastDay - Int64(i)) * 86_400, records: records)
            #expect(
                f.send("POST", "/api/v1/reports", headers: f.bearer(f.adminToken), body: Array(xml.utf8)).status == 200)
        }
        let s = try f.signIn("alice")
        let page = f.send("GET", "/domains/shop.test/readiness", headers: s.headers)
        #expect(page.status == 200)
        #expect(
            page.text.contains(
                "Policy in force, from the DMARC record in DNS: v=DMARC1; p=quarantine; rua=mailto:dmarc@shop.test; ruf=mailto:ruf@shop.test; fo=1; pct=25"
            ))
        #expect(
            page.text.contains(
                "<pre class=\"record\">v=DMARC1; p=quarantine; rua=mailto:dmarc@shop.test; ruf=mailto:ruf@shop.test; fo=1; pct=50</pre>"
            ))
        // pct=25 is step 2: no second "test quarantine", no jump to reject.
        #expect(page.text.components(separatedBy: "<pre class=\"record\">").count == 1 + 4)
        #expect(page.text.contains("<td class=\"num\">12,340</td><td class=\"num\">1,234.0</td>"))
        let json = try #require(
            f.send("GET", "/api/v1/domains/shop.test/readiness", headers: f.bearer(f.adminToken)).json as? [String: Any]
        )
        #expect(json["ladder_step"] as? Int == 2)
        #expect((json["policy"] as? [String: Any])?["origin"] as? String == "dns")
        let records = ((json["plan"] as? [[String: Any]]) ?? []).compactMap { $0["record"] as? String }.filter {
            !$0.isEmpty
        }
        #expect(
            records == [
                "v=DMARC1; p=quarantine; rua=mailto:dmarc@shop.test; ruf=mailto:ruf@shop.test; fo=1; pct=50",
                "v=DMARC1; p=quarantine; rua=mailto:dmarc@shop.test; ruf=mailto:ruf@shop.test; fo=1",
                "v=DMARC1; p=reject; t=y; rua=mailto:dmarc@shop.test; ruf=mailto:ruf@shop.test; fo=1; pct=0",
                "v=DMARC1; p=reject; rua=mailto:dmarc@shop.test; ruf=mailto:ruf@shop.test; fo=1",
            ])
        let sources = f.send("GET", "/domains/shop.test/sources", headers: s.headers).text
        #expect(sources.contains("Yours but failing · 1 source · 25,340 messages"))
    }
}
