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

    @Test("the summary report is an ISO week or a calendar month, compared with the one before, with links to both")
    func summary() throws {
        let f = try WebFixture()
        let s = try f.signIn("alice")
        // The fixture's days are 25 September to 4 October 2024; the 4th is a Friday.
        let week = f.send("GET", "/domains/example.com/summary", query: [("period", "week")], headers: s.headers)
        #expect(week.status == 200)
        #expect(week.text.contains("Weekly summary: example.com"))
        #expect(week.text.contains("<strong>Week 40 of 2024</strong> · 30 Sep 2024 to 6 Oct 2024"))
        #expect(week.text.contains("compared with 23 Sep 2024 to 29 Sep 2024"))
        #expect(week.text.contains("This period has reports for 5 of its 7 days."))
        #expect(week.text.contains("The period before has reports for only 5 of its 7 days"))
        #expect(
            week.text.contains("href=\"/domains/example.com/summary?period=week&amp;date=2024-09-23\" rel=\"prev\""))
        #expect(week.text.contains("date=2024-10-07\" rel=\"next\""))
        let json = try #require(
            f.send(
                "GET", "/api/v1/domains/example.com/summary", query: [("period", "week")],
                headers: f.bearer(f.adminToken)
            )
            .json as? [String: Any])
        #expect(json["label"] as? String == "2024-W40")
        #expect(json["days_with_reports"] as? Int == 5)
        #expect(json["previous_days_with_reports"] as? Int == 5)
        let spoofing = try #require(json["spoofing_sources"] as? [[String: Any]])
        #expect(spoofing.map { $0["ip"] as? String } == ["203.0.113.9"])
        // Monday to Friday: the spoofer sent 5 a day.
        #expect(spoofing.first?["messages"] as? Int == 25)
        // The week before holds the other days: every source was seen then too.
        #expect((json["new_sources"] as? [Any])?.isEmpty == true)
        // The week before that has no reports at all: every source is new, and nothing to compare.
        let earlier = try #require(
            f.send(
                "GET", "/api/v1/domains/example.com/summary", query: [("period", "week"), ("date", "2024-09-25")],
                headers: f.bearer(f.adminToken)
            ).json as? [String: Any])
        #expect(earlier["label"] as? String == "2024-W39")
        #expect(earlier["previous_days_with_reports"] as? Int == 0)
        #expect((earlier["new_sources"] as? [Any])?.count == 3)
        let month = f.send("GET", "/domains/example.com/summary", query: [("period", "month")], headers: s.headers)
        #expect(month.text.contains("Monthly summary"))
        #expect(month.text.contains("<strong>October 2024</strong> · 1 Oct 2024 to 31 Oct 2024"))
        #expect(month.text.contains("compared with 1 Sep 2024 to 30 Sep 2024"))
        #expect(month.text.contains("The period before has reports for only 6 of its 30 days"))
        let september = try #require(
            f.send(
                "GET", "/api/v1/domains/example.com/summary", query: [("period", "month"), ("date", "2024-09-01")],
                headers: f.bearer(f.adminToken)
            ).json as? [String: Any])
        #expect((september["period"] as? [String: String])?["to"] == "2024-09-30")
        // Google sent 109 + 108 + … + 104 from 25 to 30 September.
        #expect(((september["top_sources"] as? [[String: Any]])?.first)?["messages"] as? Int == 639)
        #expect(
            f.send("GET", "/domains/example.com/summary", query: [("period", "year")], headers: s.headers).status == 400
        )
        #expect(
            f.send("GET", "/domains/example.com/summary", query: [("date", "2024-02-30")], headers: s.headers).status
                == 400)
    }
}
