import DMARCCore
import DMARCStore
import DMARCWeb
import Foundation
import TestServers
import Testing

@Suite("Domains page: record generator and DNS check against dnsmasq; ingestion health")
struct DomainsPageTests {
    /// What the generator makes for the form below.
    static let expected = try! DMARCRecordGenerator.generate(
        DMARCRecordRequest(domain: "published.test", policy: "quarantine", rua: ["dmarc@published.test"]))

    static let zone = [
        "txt-record=_dmarc.published.test,\"\(expected.value)\"",
        "txt-record=_dmarc.stale.test,\"v=DMARC1; p=none\"",
        "txt-record=_dmarc.twice.test,\"v=DMARC1; p=none\"",
        "txt-record=_dmarc.twice.test,\"v=DMARC1; p=reject\"",
    ]

    func post(_ f: WebFixture, _ s: WebFixture.Session, _ path: String, _ fields: [(String, String)]) -> HTTPResponse {
        var headers = s.headers
        headers["content-type"] = "application/x-www-form-urlencoded"
        let body = (fields + [("csrf", s.csrf)]).map { "\($0.0)=\(HTTPTestClient.encode($0.1))" }.joined(separator: "&")
        return f.send("POST", path, headers: headers, body: Array(body.utf8))
    }

    @Test("registering a domain shows the record to publish and whether DNS has it")
    func register() throws {
        let dns = try DNSTestServer(zone: Self.zone)
        let f = try WebFixture(nameserver: dns.nameserver)
        let s = try f.signIn("alice")
        let r = post(
            f, s, "/domains", [("domain", "published.test"), ("policy", "quarantine"), ("rua", "dmarc@published.test")])
        #expect(r.status == 200)
        #expect(r.text.contains("_dmarc.published.test  TXT  \"\(escapeHTML(Self.expected.value))\""))
        #expect(r.text.contains("Matches the generated record."))
        #expect(try f.store().registeredDomains().map(\.name).contains("published.test"))

        let stale = post(f, s, "/domains", [("domain", "stale.test"), ("policy", "reject")])
        #expect(stale.text.contains("v=DMARC1; p=none"))
        #expect(stale.text.contains("Differs from the generated record."))
        #expect(
            post(f, s, "/domains", [("domain", "twice.test"), ("policy", "none")]).text.contains("2 DMARC records"))
        #expect(post(f, s, "/domains", [("domain", "missing.test"), ("policy", "none")]).text.contains("NXDOMAIN"))
        // A bad domain is an error on the form, nothing is registered.
        let bad = post(f, s, "/domains", [("domain", "not a domain"), ("policy", "none")])
        #expect(bad.text.contains("class=\"notice error\""))
        #expect(try f.store().registeredDomains().count == 4)
        // The registered domain is listed, and its DNS check page works.
        #expect(f.send("GET", "/domains", headers: s.headers).text.contains("published.test"))
        #expect(f.send("GET", "/domains/published.test/dns", headers: s.headers).text.contains("Matches"))
        // Members cannot register domains.
        let bob = try f.signIn("bob")
        #expect(post(f, bob, "/domains", [("domain", "bob.test"), ("policy", "none")]).status == 403)
    }

    @Test("in Japanese: the generator's notes and errors and DNS problems from their codes")
    func japanese() throws {
        let dns = try DNSTestServer(zone: Self.zone)
        let f = try WebFixture(nameserver: dns.nameserver)
        let s = try f.signIn("alice", language: "ja")
        func post(_ fields: [(String, String)]) -> String {
            var headers = s.headers
            headers["content-type"] = "application/x-www-form-urlencoded"
            headers["accept-language"] = "ja"
            let body = (fields + [("csrf", s.csrf)]).map { "\($0.0)=\(HTTPTestClient.encode($0.1))" }.joined(
                separator: "&")
            return f.send("POST", "/domains", headers: headers, body: Array(body.utf8)).text
        }
        let missing = post([("domain", "missing.test"), ("policy", "quarantine"), ("rua", "dmarc@elsewhere.example")])
        #expect(missing.contains("p=quarantine：失敗したメールは迷惑メールフォルダに入れられます。"))
        #expect(missing.contains("rua=mailto:dmarc@elsewhere.example：日次の集約レポートの送信先です。"))
        #expect(missing.contains("elsewhere.example は missing.test の外部です。"))
        #expect(missing.contains("DMARC レコードが見つかりません。この名前は存在しません（NXDOMAIN）。"))
        #expect(!missing.contains("receivers put failing mail in spam"))
        #expect(post([("domain", "twice.test"), ("policy", "none")]).contains("DMARC レコードが 2 件あります。"))
        let bad = post([("domain", "not a domain"), ("policy", "none")])
        #expect(bad.contains("&quot;not a domain&quot; は有効なドメイン名ではありません。"))
        let badRUA = post([("domain", "ok.test"), ("policy", "none"), ("rua", "ftp://x")])
        // The reason comes from the URI grammar in English, inside the Japanese sentence.
        #expect(badRUA.contains("rua &quot;ftp://x&quot; はレポートの送信先として使えません（only mailto: and https: are accepted）"))
    }

    @Test("a failed document shows on the ingestion page with its error and can be re-parsed")
    func health() throws {
        let f = try WebFixture()
        let token = f.bearer(f.adminToken)
        let bad = f.send(
            "POST", "/api/v1/reports", query: [("name", "broken.xml")], headers: token,
            body: Array("<feedback><report_metadata>".utf8))
        #expect(bad.status == 422)
        let s = try f.signIn("alice")
        let page = f.send("GET", "/health", headers: s.headers).text
        #expect(page.contains("broken.xml"))
        let failed = try #require(try f.store().rawDocuments(status: [.failed]).first)
        let r = post(f, s, "/health/reparse", [("id", String(failed.id))])
        #expect(r.status == 200)
        #expect(r.text.contains("Still fails"))
        #expect(post(f, s, "/health/reparse", [("id", "999999")]).status == 404)
        let api = try #require(f.send("GET", "/api/v1/health", headers: token).json as? [String: Any])
        #expect((api["failed"] as? [Any])?.count == 1)
        // The lists are the newest first, capped; the total says how many there are.
        for name in ["second.xml", "third.xml"] {
            _ = f.send(
                "POST", "/api/v1/reports", query: [("name", name)], headers: token,
                body: Array("<feedback><\(name)".utf8))
        }
        let newest = try f.store().rawDocuments(status: [.failed], newest: 2)
        #expect(newest.count == 2)
        #expect(newest.map(\.id) == newest.map(\.id).sorted(by: >))
        #expect(newest.first?.origin.hasSuffix("third.xml") == true)
        let again = try #require(f.send("GET", "/api/v1/health", headers: token).json as? [String: Any])
        #expect(again["failed_total"] as? Int == 3)
        #expect(((again["failed"] as? [[String: Any]])?.first?["origin"] as? String)?.hasSuffix("third.xml") == true)
    }

    @Test("the summary report compares the period with the one before and lists spoofing sources")
    func summary() throws {
        let f = try WebFixture()
        let s = try f.signIn("alice")
        let week = f.send("GET", "/domains/example.com/summary", query: [("period", "week")], headers: s.headers)
        #expect(week.status == 200)
        #expect(week.text.contains("Weekly summary: example.com"))
        let json = try #require(
            f.send(
                "GET", "/api/v1/domains/example.com/summary", query: [("period", "week")],
                headers: f.bearer(f.adminToken)
            )
            .json as? [String: Any])
        let spoofing = try #require(json["spoofing_sources"] as? [[String: Any]])
        #expect(spoofing.map { $0["ip"] as? String } == ["203.0.113.9"])
        // 7 of the 10 fixture days: the spoofer sent 5 a day.
        #expect(spoofing.first?["messages"] as? Int == 35)
        // The week before holds the other 3 days: every source was seen then too.
        #expect((json["new_sources"] as? [Any])?.isEmpty == true)
        let month = f.send("GET", "/domains/example.com/summary", query: [("period", "month")], headers: s.headers)
        #expect(month.text.contains("Monthly summary"))
        #expect(
            f.send("GET", "/domains/example.com/summary", query: [("period", "year")], headers: s.headers).status == 400
        )
    }
}
