import Foundation
import TestServers
import Testing

/// `enrich`, `sources` and `readiness` end to end: reports with an own server, an ESP without
/// custom DKIM, a mailing list and a spoofer; dnsmasq for PTR and SPF; an MMDB file written here.
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
    ]

    static func record(
        _ ip: String, _ count: Int, dkim: String, spf: String, dkimDomain: String?, spfDomain: String,
        rawDKIM: String = "pass", rawSPF: String = "pass", reason: String? = nil
    ) -> String {
        """
        <record><row><source_ip>\(ip)</source_ip><count>\(count)</count><policy_evaluated><disposition>none</disposition>
        <dkim>\(dkim)</dkim><spf>\(spf)</spf>\(reason.map { "<reason><type>\($0)</type></reason>" } ?? "")</policy_evaluated></row>
        <identifiers><header_from>shop.test</header_from></identifiers><auth_results>
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
            ].joined()
            let xml = """
                <?xml version="1.0"?><feedback><report_metadata><org_name>google.com</org_name><email>r@google.com</email>
                <report_id>s-\(day)</report_id><date_range><begin>\(begin)</begin><end>\(begin + 86_399)</end></date_range>
                </report_metadata><policy_published><domain>shop.test</domain><p>none</p></policy_published>\(records)</feedback>
                """
            try xml.write(toFile: "\(dir)/reports/\(day).xml", atomically: true, encoding: .utf8)
        }
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
        #expect(e["addresses"] as? Int == 4)
        #expect(e["forward_confirmed"] as? Int == 3)
        #expect(e["located"] as? Int == 2)

        func sources() throws -> [String: [String: Any]] {
            let r = try CLI.run([
                "--db", db, "sources", "--domain", "shop.test", "--nameserver", dns.nameserver, "--json",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            let list = try #require((r.json as? [String: Any])?["sources"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: list.map { ($0["ip"] as? String ?? "", $0) })
        }
        let s = try sources()
        #expect(s["192.0.2.10"]?["class"] as? String == "compliant")
        #expect(s["192.0.2.10"]?["in_spf"] as? Bool == true)
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
        let sim = try #require((r["simulations"] as? [[String: Any]])?.first)
        #expect(sim["messages"] as? Int == 2000)
        #expect(sim["per_day"] as? Double == 100)
        #expect(sim["suspicious_messages"] as? Int == 100)
        #expect((r["plan"] as? [Any])?.count == 2 + 4)

        // "Not mine" for the ESP makes it suspicious, and quarantine becomes ready.
        #expect(try CLI.run(["--db", db, "sources", "not-mine", "--domain", "shop.test", "167.89.1.2"]).status == 0)
        #expect(try sources()["167.89.1.2"]?["class"] as? String == "suspicious")
        let after = try CLI.run([
            "--db", db, "readiness", "--domain", "shop.test", "--nameserver", dns.nameserver, "--json",
        ])
        #expect(((after.json as? [String: Any])?["quarantine"] as? [String: Any])?["ready"] as? Bool == true)
        #expect(try CLI.run(["--db", db, "sources", "clear", "--domain", "shop.test", "167.89.1.2"]).status == 0)
        #expect(try sources()["167.89.1.2"]?["class"] as? String == "yours-failing")
        // Text output names classes and fixes.
        let text = try CLI.run(["--db", db, "sources", "--domain", "shop.test", "--nameserver", dns.nameserver])
        #expect(text.stdout.contains("yours-failing: 1 source(s), 2,000 messages"))
        #expect(text.stdout.contains("fix: "))
        #expect(try CLI.run(["--db", db, "sources", "--domain", "shop.test", "--class", "bogus"]).status == 64)
    }
}

@Suite("dmarcwatch sources on the corpus")
struct SourcesCorpusTests {
    @Test("every corpus domain's sources add up to its messages, each with a class and evidence")
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
                #expect(
                    ["compliant", "yours-failing", "forwarded", "suspicious"].contains(s["class"] as? String ?? ""))
                #expect(!((s["evidence"] as? [Any]) ?? []).isEmpty, "\(name) \(s["ip"] ?? "")")
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
