import Foundation
import TestServers
import Testing

/// `enrich`, `sources` and `readiness` end to end: reports with an own server, an ESP without
/// custom DKIM, a mailing list, a plain forwarder and a spoofer, and one forged report claiming
/// p=reject; dnsmasq for PTR, SPF and the live DMARC record; an MMDB file written here.
@Suite("dmarcwatch enrich, sources, readiness", .serialized)
struct SourcesCommandTests {
    static let zone = [
        "local=/in-addr.arpa/",
        #"txt-record=shop.test,"v=spf1 ip4:192.0.2.10 include:sendgrid.net -all""#,
        #"txt-record=sendgrid.net,"v=spf1 ip4:167.89.0.0/17 -all""#,
        "ptr-record=10.2.0.192.in-addr.arpa,mx1.shop.test",
        "host-record=mx1.shop.test,192.0.2.10",
        "ptr-record=2.1.89.167.in-addr.arpa,o1.ptr1.sendgrid.net",
        "host-record=o1.ptr1.sendgrid.net,167.89.1.2",
        "ptr-record=69.220.85.209.in-addr.arpa,mail-sor-f69.google.com",
        "host-record=mail-sor-f69.google.com,209.85.220.69",
        // The spoofer sits on a home connection with confirmed reverse DNS of its ISP.
        "ptr-record=9.113.0.203.in-addr.arpa,host9.broadband.test",
        "host-record=host9.broadband.test,203.0.113.9",
        // The live record: quarantine in test mode, subdomains at none. The reports say p=none,
        // and a forged one says p=reject.
        #"txt-record=_dmarc.shop.test,"v=DMARC1; p=quarantine; t=y; pct=0; sp=none; rua=mailto:dmarc@shop.test""#,
    ]

    static func record(
        _ ip: String, _ count: Int, dkim: String, spf: String, dkimDomain: String?, spfDomain: String,
        rawDKIM: String = "pass", rawSPF: String = "pass", reason: String? = nil, headerFrom: String = "shop.test"
    ) -> String {
        """
        <record><row><source_ip>\(ip)</source_ip><count>\(count)</count><policy_evaluated><disposition>none</disposition>
        <dkim>\(dkim)</dkim><spf>\(spf)</spf>\(reason.map { "<reason><type>\($0)</type></reason>" } ?? "")</policy_evaluated></row>
        <identifiers><header_from>\(headerFrom)</header_from></identifiers><auth_results>
        \(dkimDomain.map { "<dkim><domain>\($0)</domain><selector>s1</selector><result>\(rawDKIM)</result></dkim>" } ?? "")
        <spf><domain>\(spfDomain)</domain><result>\(rawSPF)</result></spf></auth_results></record>
        """
    }

    @Test("hand-worked sources get their classes, evidence and fixes; a decision overrides; readiness follows")
    func endToEnd() throws {
        let dir = try CLI.temporaryDirectory()
        let db = "\(dir)/sources.sqlite3"
        try FileManager.default.createDirectory(atPath: "\(dir)/reports", withIntermediateDirectories: true)
        for day in 0..<20 {
            let begin = 1_790_000_000 + day * 86_400
            let records = [
                Self.record(
                    "192.0.2.10", 500, dkim: "pass", spf: "pass", dkimDomain: "shop.test", spfDomain: "shop.test"),
                Self.record(
                    "167.89.1.2", 100, dkim: "fail", spf: "fail", dkimDomain: "sendgrid.info",
                    spfDomain: "bounces.sendgrid.net"),
                Self.record(
                    "209.85.220.69", 20, dkim: "fail", spf: "fail", dkimDomain: "shop.test",
                    spfDomain: "lists.example.org",
                    rawDKIM: "fail", reason: "mailing_list"),
                Self.record(
                    "203.0.113.9", 5, dkim: "fail", spf: "fail", dkimDomain: nil, spfDomain: "shop.test", rawSPF: "fail"
                ),
                // A plain forwarder (.forward, no SRS): your envelope kept, so SPF fails for
                // shop.test; your signature intact on 6, the other 4 were never signed.
                Self.record(
                    "198.51.100.20", 6, dkim: "pass", spf: "fail", dkimDomain: "shop.test", spfDomain: "shop.test",
                    rawSPF: "softfail"),
                Self.record(
                    "198.51.100.20", 4, dkim: "fail", spf: "fail", dkimDomain: nil, spfDomain: "shop.test",
                    rawSPF: "softfail"),
                // The own server's key lookup timing out at the receiver: a signature, not "no DKIM".
                Self.record(
                    "192.0.2.10", 5, dkim: "fail", spf: "pass", dkimDomain: "shop.test", spfDomain: "shop.test",
                    rawDKIM: "temperror", headerFrom: "news.shop.test"),
            ].joined()
            let xml = """
                <?xml version="1.0"?><feedback><report_metadata><org_name>google.com</org_name><email>r@google.com</email>
                <report_id>s-\(day)</report_id><date_range><begin>\(begin)</begin><end>\(begin + 86_399)</end></date_range>
                </report_metadata><policy_published><domain>shop.test</domain><p>none</p></policy_published>\(records)</feedback>
                """
            try xml.write(toFile: "\(dir)/reports/\(day).xml", atomically: true, encoding: .utf8)
        }
        // Anyone can send a report: this one, the newest, claims p=reject.
        let forgedBegin = 1_790_000_000 + 19 * 86_400 + 3600
        try """
        <?xml version="1.0"?><feedback><report_metadata><org_name>forger.example</org_name><email>x@forger.example</email>
        <report_id>forged</report_id><date_range><begin>\(forgedBegin)</begin><end>\(forgedBegin + 86_399)</end></date_range>
        </report_metadata><policy_published><domain>shop.test</domain><p>reject</p></policy_published>\(
            Self.record("203.0.113.9", 5, dkim: "fail", spf: "fail", dkimDomain: nil, spfDomain: "shop.test", rawSPF: "fail"))</feedback>
        """.write(toFile: "\(dir)/reports/forged.xml", atomically: true, encoding: .utf8)
        // And one dated 2199: the default period still ends at the newest report up to today.
        try """
        <?xml version="1.0"?><feedback><report_metadata><org_name>future.example</org_name><email>x@future.example</email>
        <report_id>future</report_id><date_range><begin>7239628800</begin><end>7239715199</end></date_range>
        </report_metadata><policy_published><domain>shop.test</domain><p>reject</p></policy_published>\(
            Self.record("203.0.113.9", 7, dkim: "fail", spf: "fail", dkimDomain: nil, spfDomain: "shop.test", rawSPF: "fail"))</feedback>
        """.write(toFile: "\(dir)/reports/future.xml", atomically: true, encoding: .utf8)
        #expect(try CLI.run(["--db", db, "import", "\(dir)/reports"]).status == 0)
        try MMDBWriter.ipinfoLite([
            (network: "203.0.113.0/24", asn: 64500, asName: "Example Bulletproof Hosting", countryCode: "CN"),
            (network: "167.89.0.0/17", asn: 11377, asName: "SendGrid, Inc.", countryCode: "US"),
        ]).write(to: "\(dir)/ipinfo_lite.mmdb")

        let dns = try DNSTestServer(zone: Self.zone)
        let enrich = try CLI.run([
            "--db", db, "enrich", "--nameserver", dns.nameserver, "--mmdb", "\(dir)/ipinfo_lite.mmdb", "--json",
        ])
        #expect(enrich.status == 0)
        let e = try #require(enrich.json as? [String: Any])
        #expect(e["addresses"] as? Int == 5)
        #expect(e["forward_confirmed"] as? Int == 4)
        #expect(e["located"] as? Int == 2)

        // parsedmarc's map names the ISP: a network, never a tie (it used to count as an
        // "application" whose confirmed PTR made a botnet address yours).
        try "base_reverse_dns,name,type\nbroadband.test,Broadband Test,ISP\n".write(
            toFile: "\(dir)/map.csv", atomically: true, encoding: .utf8)
        func sources() throws -> [String: [String: Any]] {
            let r = try CLI.run([
                "--db", db, "sources", "--domain", "shop.test", "--nameserver", dns.nameserver, "--json",
                "--dns-map", "\(dir)/map.csv",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            let list = try #require((r.json as? [String: Any])?["sources"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: list.map { ($0["ip"] as? String ?? "", $0) })
        }
        let s = try sources()
        #expect(s["192.0.2.10"]?["class"] as? String == "compliant")
        #expect(s["192.0.2.10"]?["in_spf"] as? Bool == true)
        // The temperror signature is recorded as one: no unsigned messages, a temperror tally,
        // and the subdomain From kept.
        let ownDKIM = try #require((s["192.0.2.10"]?["dkim_domains"] as? [String: [String: Int]])?["shop.test"])
        #expect(ownDKIM == ["pass": 10_000, "fail": 0, "temperror": 100])
        #expect(s["192.0.2.10"]?["header_from"] as? [String] == ["news.shop.test", "shop.test"])
        // The plain forwarder: part passes only through your intact signature, SPF fails for
        // your domain, nothing ties it to you. Before, the passing share made it "yours".
        let forwarder = try #require(s["198.51.100.20"])
        #expect(forwarder["class"] as? String == "forwarded")
        #expect(forwarder["evidence_codes"] as? [String] == ["fwd.dkim-intact"])
        let esp = try #require(s["167.89.1.2"])
        #expect(esp["class"] as? String == "yours-failing")
        #expect(esp["in_spf"] as? Bool == true)
        #expect((esp["service"] as? [String: Any])?["id"] as? String == "sendgrid")
        #expect(
            (esp["causes"] as? [[String: Any]])?.map { $0["code"] as? String } == [
                "dkim-third-party", "spf-not-aligned",
            ])
        #expect(esp["country"] as? String == "US")
        let list = try #require(s["209.85.220.69"])
        #expect(list["class"] as? String == "forwarded")
        #expect(
            (list["evidence"] as? [String])?.first
                == "Receivers marked 400 messages as forwarded or from a mailing list.")
        let spoofer = try #require(s["203.0.113.9"])
        #expect(spoofer["class"] as? String == "suspicious")
        #expect((spoofer["service"] as? [String: Any])?["kind"] as? String == "network")
        #expect(spoofer["asn"] as? Int == 64500)
        #expect(
            (spoofer["evidence"] as? [String])?.contains("Its network is Example Bulletproof Hosting (AS64500).")
                == true)
        #expect((spoofer["evidence"] as? [String])?.contains("It is not in shop.test's SPF record.") == true)

        let readiness = try CLI.run([
            "--db", db, "readiness", "--domain", "shop.test", "--nameserver", dns.nameserver, "--json",
        ])
        let r = try #require(readiness.json as? [String: Any])
        #expect((r["quarantine"] as? [String: Any])?["ready"] as? Bool == false)
        #expect(r["days"] as? Int == 20)
        let sim = try #require((r["simulations"] as? [[String: Any]])?.first)
        #expect(sim["messages"] as? Int == 2000)
        #expect(sim["per_day"] as? Double == 100)
        #expect(sim["suspicious_messages"] as? Int == 105)
        #expect(sim["forwarded_messages"] as? Int == 20 * 20 + 4 * 20)
        // The live record, not the forged report: quarantine in test (step 1), so the plan goes
        // on with pct=25, keeping sp=none and the real rua.
        #expect((r["policy"] as? [String: Any])?["origin"] as? String == "dns")
        #expect(r["ladder_step"] as? Int == 1)
        let plan = try #require(r["plan"] as? [[String: Any]])
        #expect(
            plan.map { $0["code"] as? String ?? "" } == [
                "plan.fix", "plan.fix", "plan.sp-none", "plan.quarantine", "plan.quarantine-half",
                "plan.quarantine-full", "plan.reject-test", "plan.reject",
            ])
        #expect(plan[3]["record"] as? String == "v=DMARC1; p=quarantine; sp=none; rua=mailto:dmarc@shop.test; pct=25")
        #expect(plan[7]["record"] as? String == "v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@shop.test")
        // Without DNS the newest report is all there is, and readiness says which it used.
        let offline = try #require(
            try CLI.run(["--db", db, "readiness", "--domain", "shop.test", "--no-dns", "--json"]).json
                as? [String: Any])
        #expect((offline["policy"] as? [String: Any])?["origin"] as? String == "report")
        #expect((offline["policy_source"] as? String)?.contains("DNS not asked") == true)

        // "Not mine" for the ESP makes it suspicious, and quarantine becomes ready.
        #expect(try CLI.run(["--db", db, "sources", "not-mine", "--domain", "shop.test", "167.89.1.2"]).status == 0)
        #expect(try sources()["167.89.1.2"]?["class"] as? String == "suspicious")
        let after = try CLI.run([
            "--db", db, "readiness", "--domain", "shop.test", "--nameserver", dns.nameserver, "--json",
        ])
        #expect(((after.json as? [String: Any])?["quarantine"] as? [String: Any])?["ready"] as? Bool == true)
        #expect(try CLI.run(["--db", db, "sources", "clear", "--domain", "shop.test", "167.89.1.2"]).status == 0)
        #expect(try sources()["167.89.1.2"]?["class"] as? String == "yours-failing")
        // Text output names classes and fixes, and which policy readiness used.
        let text = try CLI.run(["--db", db, "sources", "--domain", "shop.test", "--nameserver", dns.nameserver])
        #expect(text.stdout.contains("yours-failing: 1 source(s), 2,000 messages"))
        #expect(text.stdout.contains("fix: "))
        let readinessText = try CLI.run([
            "--db", db, "readiness", "--domain", "shop.test", "--nameserver", dns.nameserver,
        ])
        #expect(readinessText.stdout.contains("Policy in force, from the DMARC record in DNS: v=DMARC1; p=quarantine"))
        #expect(readinessText.stdout.contains("v=DMARC1; p=quarantine; sp=none; rua=mailto:dmarc@shop.test; pct=25"))
        #expect(try CLI.run(["--db", db, "sources", "--domain", "shop.test", "--class", "bogus"]).status == 64)
    }
}

@Suite("dmarcwatch sources on the corpus")
struct SourcesCorpusTests {
    @Test("every corpus domain's sources add up to its messages, each in the class its evidence gives")
    func corpus() throws {
        let dir = try CLI.temporaryDirectory()
        let db = "\(dir)/corpus.sqlite3"
        _ = try CLI.run([
            "--db", db, "import", "\(CLI.fixtures)/parsedmarc-samples/aggregate", "\(CLI.fixtures)/corpus",
        ])
        let summary = try #require(try CLI.run(["--db", db, "summary", "--json"]).json as? [String: Any])
        let domains = try #require(summary["domains"] as? [[String: Any]])
        #expect(domains.count > 5)
        for d in domains {
            let name = try #require(d["domain"] as? String)
            guard !name.isEmpty else { continue }
            let r = try CLI.run([
                "--db", db, "sources", "--domain", name, "--from", "1970-01-02", "--to", "2100-01-01", "--no-dns",
                "--json",
            ])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            let sources = try #require((r.json as? [String: Any])?["sources"] as? [[String: Any]])
            let total = sources.reduce(0) { $0 + ($1["messages"] as? Int ?? 0) }
            #expect(total == d["messages"] as? Int, "\(name)")
            for s in sources {
                let ip = "\(name) \(s["ip"] ?? "")"
                let cls = s["class"] as? String ?? ""
                let codes = s["evidence_codes"] as? [String] ?? []
                let messages = s["messages"] as? Int ?? 0
                let pass = s["dmarc_pass"] as? Int ?? 0
                #expect(!codes.isEmpty, "\(ip)")
                // No decisions in the corpus: compliant exactly when 98% pass, and each class's
                // evidence is of its own kind.
                #expect((cls == "compliant") == (pass * 50 >= messages * 49), "\(ip)")
                let prefix = [
                    "compliant": "compliant.", "yours-failing": "own.", "forwarded": "fwd.", "suspicious": "sus.",
                ]
                #expect(codes.first?.hasPrefix(prefix[cls] ?? "?") == true, "\(ip): \(cls) \(codes)")
                if cls == "yours-failing" { #expect(!((s["causes"] as? [Any]) ?? []).isEmpty, "\(ip)") }
                if cls != "yours-failing" { #expect(((s["causes"] as? [Any]) ?? []).isEmpty, "\(ip)") }
                // Without DNS or enrichment nothing can tie a source to its domain.
                #expect(cls != "yours-failing", "\(ip)")
                // Hand-checked records. ikea.com's report for example.de: one message whose only
                // result is example.de's passing DKIM signature (SPF only for the HELO), DMARC
                // failing: your signature intact from a server nothing ties to you.
                if name == "example.de", s["ip"] as? String == "234.234.234.234" {
                    #expect(cls == "forwarded" && codes == ["fwd.dkim-intact"])
                }
                // addisonfoods.com's report: a signature of toptierhighticket.club only, both
                // failing: nothing of yours, no tie.
                if name == "example.com", s["ip"] as? String == "109.203.100.17" {
                    #expect(cls == "suspicious" && codes.first == "sus.both-fail")
                }
            }
            let readiness = try CLI.run([
                "--db", db, "readiness", "--domain", name, "--from", "1970-01-02", "--to", "2100-01-01", "--no-dns",
                "--json",
            ])
            #expect(readiness.status == 0, "\(name)")
        }
    }
}

@Suite("dmarcwatch sources owner (RDAP)")
struct SourcesOwnerTests {
    @Test("asks the RDAP service, prints the owner, keeps it; bad answers are clear errors")
    func owner() throws {
        let dir = try CLI.temporaryDirectory()
        let db = "\(dir)/owner.sqlite3"
        let answer = """
            {"handle": "NET-203-0-113-0-1", "name": "DOC-NET", "startAddress": "203.0.113.0", "endAddress": "203.0.113.255",
             "entities": [{"roles": ["registrant"], "vcardArray": ["vcard", [["fn", {}, "text", "Documentation Networks"]]]}]}
            """
        let server = StaticHTTPServer(files: ["/ip/203.0.113.9": answer])
        let url = "http://127.0.0.1:\(server.port)"
        let r = try CLI.run(["--db", db, "sources", "owner", "203.0.113.9", "--rdap-url", url, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(r.json as? [String: Any])
        #expect(json["owner"] as? String == "Documentation Networks")
        #expect(json["handle"] as? String == "NET-203-0-113-0-1")
        let missing = try CLI.run(["--db", db, "sources", "owner", "203.0.113.10", "--rdap-url", url])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("HTTP 404"))
        #expect(try CLI.run(["--db", db, "sources", "owner", "not-an-ip"]).status == 64)
        #expect(
            try CLI.run(["--db", db, "sources", "owner", "203.0.113.9", "--rdap-url", "http://rdap.example"]).status
                == 64)
    }
}
