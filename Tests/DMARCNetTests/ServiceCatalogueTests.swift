import DMARCEnrich
import Testing

@Suite("Sending-service catalogue")
struct ServiceCatalogueTests {
    // PTR names copied from Received headers of real mail (or the forms the vendors document).
    @Test(
        "PTR names name their service",
        arguments: zip(
            [
                "o1.ptr1234.sendgrid.net",
                "mail-sor-f41.google.com",
                "mail-eopbgr80052.outbound.protection.outlook.com",
                "a27-22.smtp-out.us-west-2.amazonses.com",
                "m228-12.mailgun.net",
                "mta237b-ord.mtasv.net",
                "bi.d.mailin.fr",
                "ccm27.constantcontact.com",
                "sonic308-54.consmr.mail.gq1.yahoo.com",
                "pv50p00im-ztdg10021101.me.com",
                "out-20.smtp.github.com",
                "mail02.groups.io",
            ],
            [
                "sendgrid", "google-workspace", "microsoft-365", "amazon-ses", "mailgun", "postmark", "brevo",
                "constant-contact", "yahoo", "icloud", "github", "groups-io",
            ]))
    func ptrNames(ptr: String, id: String) {
        #expect(ServiceCatalogue.match(ptr: ptr, dkimDomains: [], spfDomains: [])?.id == id)
    }

    @Test("A PTR suffix counts only on a label boundary")
    func labelBoundary() {
        #expect(ServiceCatalogue.match(ptr: "something.notsendgrid.net", dkimDomains: [], spfDomains: []) == nil)
        // The listed domain must be the end of the name, not merely appear in it.
        #expect(ServiceCatalogue.match(ptr: "sendgrid.net.example.com", dkimDomains: [], spfDomains: []) == nil)
        // github.com itself is not GitHub's mail fleet; only smtp.github.com is listed.
        #expect(ServiceCatalogue.match(ptr: "github.com", dkimDomains: [], spfDomains: []) == nil)
    }

    @Test("PTR matching ignores case, surrounding space and the trailing root dot")
    func ptrNormalisation() {
        let ptr = "  MAIL-SOR-F41.Google.COM. "
        #expect(ServiceCatalogue.match(ptr: ptr, dkimDomains: [], spfDomains: [])?.id == "google-workspace")
    }

    @Test("Without a PTR, the DKIM signing domain decides")
    func dkimDomains() {
        #expect(ServiceCatalogue.match(ptr: nil, dkimDomains: ["amazonses.com"], spfDomains: [])?.id == "amazon-ses")
        // Google Workspace's fallback signature: d=<domain-with-hyphens>.<date>.gappssmtp.com.
        let gapps = ServiceCatalogue.match(
            ptr: nil, dkimDomains: ["example-com.20230601.gappssmtp.com"], spfDomains: [])
        #expect(gapps?.id == "google-workspace")
        // Mailgun signs with the customer's domain and with mailgun.org; the customer's own domain is unknown.
        let mailgun = ServiceCatalogue.match(ptr: nil, dkimDomains: ["example.com", "mailgun.org"], spfDomains: [])
        #expect(mailgun?.id == "mailgun")
        // A PTR nobody lists falls through to DKIM.
        let zendesk = ServiceCatalogue.match(ptr: "mail.example.net", dkimDomains: ["zendesk.com"], spfDomains: [])
        #expect(zendesk?.id == "zendesk")
    }

    @Test(
        "Without PTR or DKIM, the SPF (envelope) domain decides",
        arguments: zip(
            [
                "bounces.mailgun.org", "bounce.s7.exacttarget.com", "aa.d.sender-sib.com", "pm.mtasv.net",
                "mail105.suw16.mcsv.net", "in.constantcontact.com",
            ],
            ["mailgun", "salesforce-marketing-cloud", "brevo", "postmark", "mailchimp", "constant-contact"]))
    func spfDomains(domain: String, id: String) {
        #expect(ServiceCatalogue.match(ptr: nil, dkimDomains: [], spfDomains: [domain])?.id == id)
    }

    @Test("PTR beats DKIM, and DKIM beats SPF")
    func precedence() {
        let byPTR = ServiceCatalogue.match(
            ptr: "o1.ptr1234.sendgrid.net", dkimDomains: ["amazonses.com"], spfDomains: ["bounces.mailgun.org"])
        #expect(byPTR?.id == "sendgrid")
        let byDKIM = ServiceCatalogue.match(ptr: nil, dkimDomains: ["zendesk.com"], spfDomains: ["sendgrid.net"])
        #expect(byDKIM?.id == "zendesk")
    }

    @Test("Google's shared outbound servers are told apart by the DKIM or envelope domain")
    func googleSharedPTR() {
        let ptr = "mail-sor-f41.google.com"
        #expect(ServiceCatalogue.match(ptr: ptr, dkimDomains: ["gmail.com"], spfDomains: ["gmail.com"])?.id == "gmail")
        let group = ServiceCatalogue.match(ptr: ptr, dkimDomains: ["googlegroups.com"], spfDomains: [])
        #expect(group?.id == "google-groups")
        // Workspace mail signed with the customer's own key carries no Google evidence: Workspace, listed first.
        let workspace = ServiceCatalogue.match(ptr: ptr, dkimDomains: ["example.com"], spfDomains: ["example.com"])
        #expect(workspace?.id == "google-workspace")
    }

    @Test("Nothing known, nothing matched")
    func noMatch() {
        #expect(ServiceCatalogue.match(ptr: nil, dkimDomains: [], spfDomains: []) == nil)
        #expect(ServiceCatalogue.match(ptr: "", dkimDomains: [""], spfDomains: [" "]) == nil)
        #expect(
            ServiceCatalogue.match(ptr: "mx.example.org", dkimDomains: ["example.org"], spfDomains: ["example.org"])
                == nil)
    }

    @Test("Services are found by id")
    func byID() {
        for service in ServiceCatalogue.services {
            #expect(ServiceCatalogue.service(id: service.id) == service)
        }
        #expect(ServiceCatalogue.service(id: "no-such-service") == nil)
        #expect(ServiceCatalogue.service(id: "SendGrid") == nil)  // Ids are exact and lower-case.
    }

    @Test("An include: domain from an SPF record names the service it authorises")
    func spfIncludes() {
        #expect(ServiceCatalogue.service(forSPFInclude: "spf.protection.outlook.com")?.id == "microsoft-365")
        #expect(ServiceCatalogue.service(forSPFInclude: "_spf.google.com")?.id == "google-workspace")
        // Regional and account-specific includes live under the listed domain.
        #expect(ServiceCatalogue.service(forSPFInclude: "us._netblocks.mimecast.com")?.id == "mimecast")
        #expect(ServiceCatalogue.service(forSPFInclude: "40143933.spf02.hubspotemail.net")?.id == "hubspot")
        #expect(ServiceCatalogue.service(forSPFInclude: "spf-00909a01.pphosted.com")?.id == "proofpoint")
        #expect(ServiceCatalogue.service(forSPFInclude: "include.example.com") == nil)
    }

    @Test("Ids are unique, lower-case and stable-looking; names and advice are present")
    func catalogueShape() {
        let ids = ServiceCatalogue.services.map(\.id)
        #expect(Set(ids).count == ids.count)
        for service in ServiceCatalogue.services {
            #expect(!service.id.isEmpty)
            #expect(service.id.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
            #expect(!service.name.isEmpty)
            #expect(!service.alignDKIM.isEmpty, "\(service.id)")
            #expect(!service.alignSPF.isEmpty, "\(service.id)")
            if let url = service.documentation { #expect(url.hasPrefix("https://"), "\(service.id)") }
        }
        // Every kind is represented, so the classifier's per-kind advice is exercised by real entries.
        #expect(Set(ServiceCatalogue.services.map(\.kind)) == Set(KnownService.Kind.allCases))
    }

    @Test("Every service can be recognised")
    func recognisable() {
        for service in ServiceCatalogue.services {
            let identifying = service.ptrDomains + service.dkimDomains + service.spfIncludes
            if service.id == "intercom" {
                // Intercom publishes no PTR, default DKIM domain or SPF include we could confirm; its own
                // intercom-mail.com return path is the one fact that identifies it.
                #expect(identifying.isEmpty && !service.returnPathDomains.isEmpty)
            } else {
                #expect(!identifying.isEmpty, "\(service.id) has no PTR, DKIM or SPF include domain")
            }
        }
    }

    @Test("Listed domains are bare, lower-case domain names")
    func domainSpelling() {
        for service in ServiceCatalogue.services {
            let all = service.ptrDomains + service.dkimDomains + service.spfIncludes + service.returnPathDomains
            for domain in all {
                #expect(domain == domain.lowercased(), "\(service.id): \(domain)")
                #expect(domain.contains("."), "\(service.id): \(domain)")
                #expect(!domain.hasPrefix(".") && !domain.hasSuffix("."), "\(service.id): \(domain)")
                #expect(!domain.contains(" ") && !domain.contains("*"), "\(service.id): \(domain)")
            }
        }
    }

    @Test("No domain is listed under two services in the same field, except Google's shared servers")
    func noDuplicates() {
        var owners: [String: [String]] = [:]
        for service in ServiceCatalogue.services {
            let fields = [
                ("ptr", service.ptrDomains), ("dkim", service.dkimDomains),
                // Return paths and includes are both compared with SPF domains, so they share one namespace.
                ("envelope", service.returnPathDomains + service.spfIncludes),
            ]
            for (field, domains) in fields {
                for domain in Set(domains) { owners["\(field) \(domain)", default: []].append(service.id) }
            }
        }
        let shared = owners.filter { $0.value.count > 1 }
        // Workspace, personal Gmail and Groups all leave from *.google.com; match() breaks the tie.
        #expect(shared == ["ptr google.com": ["google-workspace", "gmail", "google-groups"]])
    }

    @Test("The services the classifier is expected to know are all present")
    func coverage() {
        let expected = [
            "google-workspace", "gmail", "microsoft-365", "amazon-ses", "sendgrid", "mailgun", "mailchimp",
            "mandrill", "salesforce-marketing-cloud", "salesforce", "hubspot", "zendesk", "postmark", "sparkpost",
            "brevo", "zoho-mail", "zeptomail", "mailjet", "constant-contact", "klaviyo", "intercom", "freshdesk",
            "atlassian", "github", "yahoo", "icloud", "proofpoint", "mimecast", "barracuda", "google-groups",
            "groups-io", "blastmail", "cuenote", "benchmark-email", "haihai-mail", "synergy-lead", "xserver",
            "sakura-internet", "gmo-onamae", "conoha", "kagoya", "ntt-docomo", "kddi-au", "softbank",
        ]
        for id in expected {
            #expect(ServiceCatalogue.service(id: id) != nil, "missing \(id)")
        }
    }
}

@Suite("parsedmarc reverse DNS map")
struct ReverseDNSMapTests {
    @Test("Parses the header, quoted fields and escaped quotes, and counts a malformed line")
    func parse() {
        let csv = """
            base_reverse_dns,name,type
            google.com,Google (Including Gmail and Google Workspace),Email Provider
            askbis.com,"BIS, Inc.",Web Host
            "quoted.example","A ""quoted"" name",SaaS
            broken.example,only two fields
            AMAZONSES.COM.,Amazon SES,SaaS
             afnet.net, AFNET,ISP

            """
        let (map, skipped) = ReverseDNSMap.parse(csv)
        #expect(skipped == 1)
        #expect(map.entries.count == 5)
        #expect(map.entry(forBaseDomain: "askbis.com") == ReverseDNSMap.Entry(name: "BIS, Inc.", type: "Web Host"))
        #expect(map.entry(forBaseDomain: "quoted.example")?.name == "A \"quoted\" name")
        #expect(map.entry(forBaseDomain: "google.com")?.type == "Email Provider")
        // Keys are lower-cased without the root dot; lookups are normalised the same way.
        #expect(map.entries["amazonses.com"]?.name == "Amazon SES")
        #expect(map.entry(forBaseDomain: "AmazonSES.com.")?.name == "Amazon SES")
        // Unquoted fields lose stray spaces, as in the real file's "afnet.net, AFNET,ISP".
        #expect(map.entry(forBaseDomain: "afnet.net") == ReverseDNSMap.Entry(name: "AFNET", type: "ISP"))
        #expect(map.entry(forBaseDomain: "broken.example") == nil)
        #expect(map.entry(forBaseDomain: "base_reverse_dns") == nil)
        #expect(map.entry(forBaseDomain: "example.com") == nil)
    }

    @Test("CRLF line ends, a missing header and a trailing line without newline are fine")
    func lineEnds() {
        let (map, skipped) = ReverseDNSMap.parse("sendgrid.net,Twilio SendGrid,Marketing\r\nmtasv.net,Postmark,SaaS")
        #expect(skipped == 0)
        #expect(map.entry(forBaseDomain: "sendgrid.net")?.name == "Twilio SendGrid")
        #expect(map.entry(forBaseDomain: "mtasv.net")?.type == "SaaS")
    }

    @Test("A stray quote or an unterminated quoted field is malformed")
    func badQuotes() {
        #expect(ReverseDNSMap.parse("x\"y.example,Name,Type\nok.example,OK,ISP\n").skipped == 1)
        // A quote left open runs to the end of the text, taking the following line with it.
        let open = ReverseDNSMap.parse("a.example,\"open,ISP\nb.example,B,ISP\n")
        #expect(open.skipped == 1)
        #expect(open.map.entries.isEmpty)
    }

    @Test("An empty map answers nothing")
    func empty() {
        #expect(ReverseDNSMap().entries.isEmpty)
        #expect(ReverseDNSMap.parse("").skipped == 0)
        #expect(ReverseDNSMap().entry(forBaseDomain: "google.com") == nil)
    }
}
