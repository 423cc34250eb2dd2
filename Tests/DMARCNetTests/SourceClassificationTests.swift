import DMARCCore
import Testing

@testable import DMARCEnrich
@testable import DMARCNet

/// Hand-worked classification of real-world traffic patterns for example.co.jp (a domain under a
/// two-label public suffix, so libpsl's organisational domain matters), through `SourceAnalysis`:
/// the real catalogue names each service from its forward-confirmed PTR or passing domains, and
/// "in your SPF" is set as the live check would answer. Each case says why its class follows
/// from the rules in `SourceClassifier`.
@Suite("Source classification table (real PSL and catalogue)")
struct SourceClassificationTests {
    static let domain = "example.co.jp"
    let analysis = SourceAnalysis(authorizer: nil)

    func profile(_ ip: String, _ build: (inout SourceProfile) -> Void) -> SourceProfile {
        var p = SourceProfile(ip: ip, domain: Self.domain)
        build(&p)
        return p
    }

    func classify(_ p: SourceProfile, policy: PolicyInForce? = nil) -> ClassifiedSource {
        analysis.classify([p], policy: policy)[0]
    }

    static let sendgrid = ServiceCatalogue.service(id: "sendgrid")!

    @Test("alignment: relaxed compares organisational domains (libpsl), strict needs the same name")
    func alignment() {
        let relaxed = analysis.classifier()
        #expect(relaxed.aligned("news.example.co.jp", with: "example.co.jp", mode: .relaxed))
        #expect(relaxed.aligned("example.co.jp", with: "news.example.co.jp", mode: .relaxed))
        #expect(!relaxed.aligned("example.co.jp", with: "news.example.co.jp", mode: .strict))
        #expect(relaxed.aligned("News.Example.co.jp.", with: "news.example.co.jp", mode: .strict))
        // co.jp is a public suffix: two registrations under it are different organisations (a
        // "last two labels" rule would call them aligned).
        #expect(!relaxed.aligned("other.co.jp", with: "example.co.jp", mode: .relaxed))
        #expect(!relaxed.aligned("", with: "example.co.jp", mode: .relaxed))
        let strict = analysis.classifier(policy: PolicyInForce(dns: "v=DMARC1; p=none; adkim=s; aspf=s")!)
        #expect(strict.adkim == .strict && strict.aspf == .strict)
    }

    @Test("plain forwarder (.forward, no SRS): your envelope fails SPF, your DKIM arrives intact → forwarded")
    func plainForwarder() {
        // 200 messages; 150 carry your intact DKIM signature (DMARC passes through DKIM), 50 came
        // unsigned. The forwarder kept your envelope, so SPF fails for example.co.jp on all 200.
        // Ties: not in SPF, PTR not yours, no aligned SPF pass, no service → none. Relaying
        // evidence: none. Your signature intact without a tie → forwarded (rule 5), worded so an
        // own server missing from SPF can be recognised.
        let p = profile("198.51.100.20") {
            $0.messages = 200
            $0.dmarcPass = 150
            $0.dkimAlignedPass = 150
            $0.dkimSignatures = ["example.co.jp": .init(pass: 150)]
            $0.unsigned = 50
            $0.spfDomains = ["example.co.jp": .init(fail: 200)]
            $0.ptr = "mx.forwarder.example"
            $0.baseDomain = "forwarder.example"
            $0.forwardConfirmed = true
            $0.authorizedBySPF = false
        }
        let c = classify(p)
        #expect(c.sourceClass == .forwarded)
        #expect(c.evidence.map(\.code) == ["fwd.dkim-intact"])
        #expect(c.evidence[0].description.contains("approve it if it is yours"))
        #expect(c.causes.isEmpty)
        // If the administrator says it is theirs: unsigned mail and SPF failing for the domain.
        var approved = p
        approved.decision = SourceDecision(verdict: .approved, by: "alice", at: 0)
        #expect(classify(approved).causes.map(\.code) == [.noDKIM, .spfFails])
    }

    @Test("SRS forwarder: SPF passes for the forwarder's domain, your DKIM mostly intact → forwarded")
    func srsForwarder() {
        // SRS0=…@forwarder.example passes SPF; 90 of 100 keep your signature, 10 were modified.
        // No tie, no service; intact signature → forwarded.
        let p = profile("198.51.100.30") {
            $0.messages = 100
            $0.dmarcPass = 90
            $0.dkimAlignedPass = 90
            $0.dkimSignatures = ["example.co.jp": .init(pass: 90, fail: 10)]
            $0.spfDomains = ["forwarder.example": .init(pass: 100)]
            $0.authorizedBySPF = false
        }
        let c = classify(p)
        #expect(c.sourceClass == .forwarded)
        #expect(c.evidence.map(\.code) == ["fwd.dkim-intact"])
    }

    @Test("mailing list on Google Groups, with an override, while your SPF includes Google → forwarded")
    func mailingListWithGoogleInSPF() {
        // Google's outbound servers are in _spf.google.com, so "in your SPF" is true. The catalogue
        // names Google Groups from the passing googlegroups.com signature; a receiver marked 12
        // messages mailing_list. Relaying evidence wins over "in your SPF" (rule 3); your
        // signature arrives broken (subject tag, footer) and no SPF passes for your domain.
        let p = profile("209.85.220.69") {
            $0.messages = 30
            $0.forwardedOverrides = 12
            $0.dkimSignatures = ["example.co.jp": .init(fail: 30), "googlegroups.com": .init(pass: 30)]
            $0.spfDomains = ["googlegroups.com": .init(pass: 30)]
            $0.ptr = "mail-sor-f69.google.com"
            $0.baseDomain = "google.com"
            $0.forwardConfirmed = true
            $0.authorizedBySPF = true
        }
        let c = classify(p)
        #expect(c.profile.service?.id == "google-groups")
        #expect(c.sourceClass == .forwarded)
        #expect(c.evidence.map(\.code) == ["fwd.override", "fwd.service", "fwd.dkim-broken"])
        #expect(c.evidence[0].description == "Receivers marked 12 messages as forwarded or from a mailing list.")
        // A list the catalogue does not know, on Google's servers (named Google Workspace), with
        // the override: still forwarded, and the shared-servers rule says why as well.
        var list = p
        list.dkimSignatures = ["example.co.jp": .init(fail: 30)]
        list.spfDomains = ["lists.example.org": .init(pass: 30)]
        let l = classify(list)
        #expect(l.profile.service?.id == "google-workspace")
        #expect(l.sourceClass == .forwarded)
        #expect(l.evidence.map(\.code) == ["fwd.override", "fwd.shared-mailbox", "fwd.dkim-broken"])
    }

    @Test("another Microsoft 365 tenant forwarding your mail, with Microsoft in your SPF → forwarded")
    func sharedMailboxForwarder() {
        // Your own Exchange Online mail uses your domain as envelope and passes SPF (include:
        // spf.protection.outlook.com). Here SPF is checked for another tenant's domain (SRS) while
        // your signature is present: another customer relays your mail (rule 3), not yours failing.
        let p = profile("40.107.1.1") {
            $0.messages = 40
            $0.dmarcPass = 20
            $0.dkimAlignedPass = 20
            $0.dkimSignatures = ["example.co.jp": .init(pass: 20, fail: 20)]
            $0.spfDomains = ["tenant.example": .init(pass: 40)]
            $0.ptr = "mail-ty1jpn01on2101.outbound.protection.outlook.com"
            $0.baseDomain = "outlook.com"
            $0.forwardConfirmed = true
            $0.authorizedBySPF = true
        }
        let c = classify(p)
        #expect(c.profile.service?.id == "microsoft-365")
        #expect(c.sourceClass == .forwarded)
        #expect(c.evidence.map(\.code) == ["fwd.shared-mailbox", "fwd.dkim-relayed"])
        // Your own Exchange Online mail failing SPF (Microsoft missing from your SPF) is yours:
        // SPF fails for your domain, so the rule does not apply; your signature passing through
        // Microsoft 365 is the tie.
        var own = p
        own.spfDomains = ["example.co.jp": .init(fail: 40)]
        own.authorizedBySPF = false
        let o = classify(own)
        #expect(o.sourceClass == .yoursFailing)
        #expect(o.evidence.map(\.code) == ["own.signed-via-service", "own.service"])
        #expect(o.causes.map(\.code) == [.dkimFails, .spfFails])
    }

    @Test("ESP with custom DKIM: your signature passes on SendGrid, SPF passes for its bounce domain → yours")
    func espWithCustomDKIM() {
        // d=example.co.jp passes on 380 of 400, fails on 20; SPF passes for sendgrid.net (not
        // aligned). Not in your SPF (SPF is checked against SendGrid's domain, so no include is
        // needed). Foreign SPF passing on a known ESP is not forwarding; your signature passing
        // through SendGrid is the tie (rule 4): yours, failing on the 20 broken signatures.
        let p = profile("167.89.1.2") {
            $0.messages = 400
            $0.dmarcPass = 380
            $0.dkimAlignedPass = 380
            $0.dkimSignatures = ["example.co.jp": .init(pass: 380, fail: 20)]
            $0.spfDomains = ["sendgrid.net": .init(pass: 400)]
            $0.ptr = "o1.ptr1.sendgrid.net"
            $0.baseDomain = "sendgrid.net"
            $0.forwardConfirmed = true
            $0.authorizedBySPF = false
        }
        let c = classify(p)
        #expect(c.profile.service?.id == "sendgrid")
        #expect(c.sourceClass == .yoursFailing)
        #expect(c.evidence.map(\.code) == ["own.signed-via-service", "own.service"])
        #expect(c.causes.map(\.code) == [.dkimFails, .spfNotAligned])
        #expect(c.causes[0].message.description == "Its DKIM signatures by example.co.jp fail on 20 messages.")
        #expect(c.causes[1].fixText == Self.sendgrid.alignSPF)
    }

    @Test("ESP without custom DKIM, its include in your SPF: yours, with both alignment causes and the fix")
    func espWithoutCustomDKIM() {
        // The common case: include:sendgrid.net in your SPF (a tie, rule 4); SendGrid signs with
        // d=sendgrid.info and uses its bounce domain, so neither aligns: DKIM by the ESP's domain,
        // SPF passing for the ESP's bounce domain, each with the catalogue's instructions.
        let p = profile("167.89.1.2") {
            $0.messages = 400
            $0.dkimSignatures = ["sendgrid.info": .init(pass: 400)]
            $0.spfDomains = ["sendgrid.net": .init(pass: 400)]
            $0.ptr = "o1.ptr1.sendgrid.net"
            $0.baseDomain = "sendgrid.net"
            $0.forwardConfirmed = true
            $0.authorizedBySPF = true
        }
        let c = classify(p)
        #expect(c.sourceClass == .yoursFailing)
        #expect(c.evidence.map(\.code) == ["own.in-spf", "own.service"])
        #expect(c.causes.map(\.code) == [.dkimThirdParty, .spfNotAligned])
        #expect(c.causes[0].message.description == "DKIM is signed by sendgrid.info, not by example.co.jp.")
        #expect(c.causes[0].fixText == Self.sendgrid.alignDKIM)
        #expect(c.causes[0].fix.code == "fix.dkim-third-party")
        #expect(
            c.causes[1].message.description == "SPF passes for sendgrid.net, which is not aligned with example.co.jp.")
    }

    @Test("an ESP network with no tie to you (a phisher's SendGrid account) → suspicious, naming the service")
    func espWithoutTie() {
        // The same traffic without the include: SendGrid's signature and SPF pass for SendGrid,
        // nothing of yours passes, nothing ties it to you. Sharing SendGrid's network is no tie:
        // suspicious, saying it goes through SendGrid and how to approve and align it if yours.
        let p = profile("167.89.1.3") {
            $0.messages = 400
            $0.dkimSignatures = ["sendgrid.net": .init(pass: 400)]
            $0.spfDomains = ["sendgrid.net": .init(pass: 400)]
            $0.ptr = "o2.ptr1.sendgrid.net"
            $0.baseDomain = "sendgrid.net"
            $0.forwardConfirmed = true
            $0.authorizedBySPF = false
        }
        let c = classify(p)
        #expect(c.sourceClass == .suspicious)
        #expect(c.evidence.map(\.code) == ["sus.service", "sus.both-fail", "sus.not-in-spf"])
        #expect(c.evidence[0].arguments == ["SendGrid (Twilio)", "example.co.jp", Self.sendgrid.alignDKIM])
        #expect(c.evidence[0].description.contains("approve this source and align it"))
    }

    @Test("your own server missing from SPF, with your forward-confirmed reverse DNS → yours")
    func ownServerMissingFromSPF() {
        // The plain forwarder's shape (SPF fails for your domain, your DKIM on part, the rest
        // unsigned) but the PTR mx2.example.co.jp is under your organisation and resolves back:
        // a tie (rule 4) → yours, with no DKIM on 40 messages and SPF failing for your domain.
        let p = profile("192.0.2.25") {
            $0.messages = 100
            $0.dmarcPass = 60
            $0.dkimAlignedPass = 60
            $0.dkimSignatures = ["example.co.jp": .init(pass: 60)]
            $0.unsigned = 40
            $0.spfDomains = ["example.co.jp": .init(fail: 100)]
            $0.ptr = "mx2.example.co.jp"
            $0.baseDomain = "example.co.jp"
            $0.forwardConfirmed = true
            $0.authorizedBySPF = false
        }
        let c = classify(p)
        #expect(c.sourceClass == .yoursFailing)
        #expect(c.evidence.map(\.code) == ["own.ptr"])
        #expect(c.causes.map(\.code) == [.noDKIM, .spfFails])
        // A PTR under your domain that does not resolve back proves nothing: anyone can set one.
        var forged = p
        forged.forwardConfirmed = false
        forged.dkimSignatures = [:]
        forged.dmarcPass = 0
        forged.dkimAlignedPass = 0
        forged.unsigned = 100
        let f = classify(forged)
        #expect(f.sourceClass == .suspicious)
        #expect(f.evidence.map(\.code).contains("sus.ptr-unconfirmed"))
    }

    @Test("a spoofer: fails both, no PTR, unknown network, not in SPF → suspicious")
    func spoofer() {
        let p = profile("203.0.113.9") {
            $0.messages = 50
            $0.spfDomains = ["example.co.jp": .init(fail: 50)]
            $0.unsigned = 50
            $0.authorizedBySPF = false
        }
        let c = classify(p)
        #expect(c.sourceClass == .suspicious)
        #expect(
            c.evidence.map(\.description) == [
                "It fails both DKIM and SPF alignment.", "It has no reverse DNS name.",
                "Its network is not a known sending service.", "It is not in example.co.jp's SPF record.",
            ])
        var approved = p
        approved.decision = SourceDecision(verdict: .approved, by: "alice", at: 0)
        let a = classify(approved)
        #expect(a.sourceClass == .yoursFailing && a.decided)
        #expect(a.causes.map(\.code) == [.noDKIM, .spfFails])
        // "Not mine" wins even over passing mail.
        var notMine = p
        notMine.dmarcPass = 50
        notMine.decision = SourceDecision(verdict: .notMine, by: "alice", at: 0)
        #expect(classify(notMine).sourceClass == .suspicious)
    }

    @Test("strict alignment: a subdomain's From signed and bounced with the parent → yours, failing strict")
    func strictSubdomain() {
        // adkim=s; aspf=s. Your server (in SPF, own PTR) sends From news.example.co.jp, signs
        // d=example.co.jp and bounces to example.co.jp: relaxed would align, strict does not, and
        // receivers report both failing. Ties → yours; causes: the strict modes, not a third party.
        let policy = PolicyInForce(dns: "v=DMARC1; p=quarantine; adkim=s; aspf=s; rua=mailto:d@example.co.jp")!
        var p = profile("192.0.2.10") {
            $0.messages = 100
            $0.ptr = "mx1.example.co.jp"
            $0.baseDomain = "example.co.jp"
            $0.forwardConfirmed = true
            $0.authorizedBySPF = true
        }
        let key = SourceProfile.AuthKey(domain: "example.co.jp", author: "news.example.co.jp")
        p.dkimResults = [key: .init(pass: 100)]
        p.spfResults = [key: .init(pass: 100)]
        let c = classify(p, policy: policy)
        #expect(c.sourceClass == .yoursFailing)
        #expect(c.evidence.map(\.code) == ["own.in-spf", "own.ptr"])
        #expect(c.causes.map(\.code) == [.dkimStrict, .spfStrict])
        #expect(
            c.causes[0].message.description
                == "DKIM is signed by example.co.jp, not exactly by news.example.co.jp as adkim=s requires.")
        // Relaxed: the same signature aligns, so there is no DKIM or SPF cause to give.
        #expect(classify(p).causes.isEmpty)
        // Strict and exact: d=news.example.co.jp aligns; a failing one is "your signature fails".
        var exact = p
        exact.dkimResults = [
            SourceProfile.AuthKey(domain: "news.example.co.jp", author: "news.example.co.jp"): .init(fail: 100)
        ]
        #expect(classify(exact, policy: policy).causes.first?.code == .dkimFails)
    }

    @Test("DKIM temperror: a signature the receiver could not check is a signature, not 'no DKIM'")
    func dkimTempError() {
        // Custom DKIM on SendGrid; 10 of 100 signatures got temperror at receivers (key lookup
        // timed out), and SPF is SendGrid's: those 10 fail DMARC. Your signature passing on 90
        // through SendGrid is the tie → yours; cause: the temporary error, not "no DKIM".
        let p = profile("167.89.1.4") {
            $0.messages = 100
            $0.dmarcPass = 90
            $0.dkimAlignedPass = 90
            $0.dkimSignatures = ["example.co.jp": .init(pass: 90, temperror: 10)]
            $0.spfDomains = ["sendgrid.net": .init(pass: 100)]
            $0.ptr = "o3.ptr1.sendgrid.net"
            $0.baseDomain = "sendgrid.net"
            $0.forwardConfirmed = true
        }
        let c = classify(p)
        #expect(c.sourceClass == .yoursFailing)
        #expect(c.causes.map(\.code) == [.dkimTempError, .spfNotAligned])
        #expect(c.causes[0].message.arguments == ["example.co.jp", "10"])
    }
}

@Suite("Source classification against crafted evidence")
struct HostileClassificationTests {
    let analysis = SourceAnalysis(authorizer: nil)

    @Test("a claimed DKIM pass without a signature of yours is no tie (it was 'own.partial' before)")
    func claimedPass() {
        // policy_evaluated says dkim=pass on half, but the only signature is the attacker's:
        // no tie, no signature of yours → suspicious, not "yours, passing sometimes".
        var p = SourceProfile(ip: "203.0.113.77", domain: "example.co.jp")
        p.messages = 100
        p.dmarcPass = 50
        p.dkimAlignedPass = 50
        p.dkimSignatures = ["attacker.example": .init(pass: 100)]
        p.spfDomains = ["attacker.example": .init(pass: 100)]
        p.authorizedBySPF = false
        #expect(analysis.classify([p])[0].sourceClass == .suspicious)
    }

    @Test("a forged, failing signature of the domain alone is not forwarding; with an override it is")
    func forgedBrokenSignature() {
        var p = SourceProfile(ip: "203.0.113.50", domain: "example.co.jp")
        p.messages = 100
        p.dkimSignatures = ["example.co.jp": .init(fail: 100)]
        p.spfDomains = ["attacker.example": .init(pass: 100)]
        #expect(analysis.classify([p])[0].sourceClass == .suspicious)
        p.forwardedOverrides = 10
        #expect(analysis.classify([p])[0].sourceClass == .forwarded)
    }

    @Test("ISP and hosting entries of parsedmarc's map name a source but never make it yours")
    func mapKinds() {
        let csv = """
            base_reverse_dns,name,type
            broadband.example,Example Broadband,ISP
            cheaphost.example,Cheap Hosting,Web Host
            mailer.example,Example Mailer,Marketing
            """
        let mapped = SourceAnalysis(authorizer: nil, reverseDNSMap: ReverseDNSMap.parse(csv).map)
        #expect(SourceAnalysis.kind(mapType: "ISP") == .network)
        #expect(SourceAnalysis.kind(mapType: "Web Host") == .network)
        #expect(SourceAnalysis.kind(mapType: "Finance") == .network)
        #expect(SourceAnalysis.kind(mapType: "Marketing") == .esp)
        #expect(SourceAnalysis.kind(mapType: " Email Provider ") == .mailbox)
        // A botnet address on a home connection, with confirmed reverse DNS of the ISP: before,
        // every map type but email/marketing was an "application", and a confirmed PTR of one was
        // ownership. Now: suspicious, the network named.
        var bot = SourceProfile(ip: "198.18.5.6", domain: "example.co.jp")
        bot.messages = 20
        bot.unsigned = 20
        bot.spfDomains = ["example.co.jp": .init(fail: 20)]
        bot.ptr = "host-6.broadband.example"
        bot.baseDomain = "broadband.example"
        bot.forwardConfirmed = true
        let b = mapped.classify([bot])[0]
        #expect(b.profile.service?.kind == .network)
        #expect(b.sourceClass == .suspicious)
        #expect(
            b.evidence.contains(Explanation("sus.network", ["Example Broadband"], "Its network is Example Broadband.")))
        // A marketing sender from the map carrying your passing signature is your account there.
        var esp = bot
        esp.ptr = "out1.mailer.example"
        esp.baseDomain = "mailer.example"
        esp.dmarcPass = 10
        esp.dkimAlignedPass = 10
        esp.dkimSignatures = ["example.co.jp": .init(pass: 10, fail: 10)]
        esp.unsigned = 0
        #expect(mapped.classify([esp])[0].sourceClass == .yoursFailing)
    }

    @Test("counts near Int64.max do not trap: shares saturate and compare exactly")
    func hugeCounts() {
        var p = SourceProfile(ip: "192.0.2.1", domain: "example.co.jp")
        p.messages = Int64.max
        p.dmarcPass = Int64.max / 2
        p.dkimSignatures = ["example.co.jp": .init(pass: Int64.max, fail: Int64.max, temperror: Int64.max)]
        p.authorizedBySPF = true
        let c = analysis.classify([p])[0]
        #expect(c.sourceClass == .yoursFailing)
        #expect(p.dkimSignatures["example.co.jp"]?.total == Int64.max)
        var q = p
        q.dmarcPass = Int64.max
        #expect(analysis.classify([q])[0].sourceClass == .compliant)
    }
}
