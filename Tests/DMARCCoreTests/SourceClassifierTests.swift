import DMARCCore
import Testing

@Suite("Source classification and readiness (hand-worked cases)")
struct SourceClassifierTests {
    /// Organisational domains for the names used here (libpsl does this in production).
    static let classifier = SourceClassifier { name in
        let labels = name.split(separator: ".")
        if name.hasSuffix(".co.jp") { return labels.suffix(3).joined(separator: ".") }
        return labels.suffix(2).joined(separator: ".")
    }

    static let sendgrid = ServiceIdentity(
        id: "sendgrid", name: "SendGrid", kind: .esp, alignDKIM: "Authenticate your domain in SendGrid.",
        alignSPF: "Use a custom return path in SendGrid.")
    static let googleGroups = ServiceIdentity(
        id: "google-groups", name: "Google Groups", kind: .forwarder, alignDKIM: "", alignSPF: "")

    func profile(_ ip: String, _ build: (inout SourceProfile) -> Void) -> SourceProfile {
        var p = SourceProfile(ip: ip, domain: "example.co.jp")
        build(&p)
        return p
    }

    @Test("the domain's own mail server: aligned DKIM and SPF, compliant")
    func compliant() {
        let p = profile("192.0.2.10") {
            $0.messages = 1000
            $0.dmarcPass = 1000
            $0.dkimAlignedPass = 1000
            $0.spfAlignedPass = 990
            $0.dkimSignatures = ["example.co.jp": .init(pass: 1000)]
        }
        let c = Self.classifier.classify(p)
        #expect(c.sourceClass == .compliant)
        #expect(c.evidence.first?.description == "Every message passes DMARC.")
        #expect(c.causes.isEmpty)
    }

    @Test("an ESP without custom DKIM: SPF passes for its bounce domain, DKIM by its own domain")
    func espWithoutCustomDKIM() {
        let p = profile("167.89.1.2") {
            $0.messages = 400
            $0.dkimSignatures = ["sendgrid.info": .init(pass: 400)]
            $0.spfDomains = ["bounces.sendgrid.net": .init(pass: 400)]
            $0.ptr = "o1.ptr2.sendgrid.net"
            $0.forwardConfirmed = true
            $0.baseDomain = "sendgrid.net"
            $0.service = Self.sendgrid
            $0.authorizedBySPF = true
        }
        let c = Self.classifier.classify(p)
        #expect(c.sourceClass == .yoursFailing)
        #expect(c.evidence.map(\.description).contains("The address is in example.co.jp's SPF record."))
        #expect(c.causes.map(\.code) == [.dkimThirdParty, .spfNotAligned])
        #expect(c.causes.first?.message.description == "DKIM is signed by sendgrid.info, not by example.co.jp.")
        #expect(c.causes.first?.fixText == "Authenticate your domain in SendGrid.")
        #expect(c.causes.first?.fix.code == "fix.dkim-third-party")
        #expect(c.causes.last?.fixText == "Use a custom return path in SendGrid.")
    }

    @Test("a mailing list: the domain's DKIM signature arrives broken from a list server, with the receiver's override")
    func forwarder() {
        let p = profile("209.85.220.69") {
            $0.messages = 30
            $0.forwardedOverrides = 12
            $0.dkimSignatures = ["example.co.jp": .init(fail: 30)]
            $0.spfDomains = ["lists.example.org": .init(pass: 30)]
            $0.ptr = "mail-sor-f69.google.com"
            $0.forwardConfirmed = true
            $0.service = Self.googleGroups
        }
        let c = Self.classifier.classify(p)
        #expect(c.sourceClass == .forwarded)
        #expect(c.evidence.count == 3)
        #expect(c.evidence[0].description == "Receivers marked 12 messages as forwarded or from a mailing list.")
        #expect(c.evidence[0].code == "fwd.override" && c.evidence[0].arguments == ["12"])
        #expect(c.evidence[2].code == "fwd.dkim-broken")
        // The same evidence, but the address is in the domain's SPF: it is the domain's own server.
        var own = p
        own.authorizedBySPF = true
        own.service = nil
        #expect(Self.classifier.classify(own).sourceClass == .yoursFailing)
        #expect(Self.classifier.classify(own).causes.first?.code == .dkimFails)
    }

    @Test("a spoofer: fails both, no PTR, unknown network, not in SPF")
    func spoofer() {
        let p = profile("203.0.113.9") {
            $0.messages = 50
            $0.spfDomains = ["example.co.jp": .init(fail: 50)]
            $0.unsigned = 50
            $0.authorizedBySPF = false
        }
        let c = Self.classifier.classify(p)
        #expect(c.sourceClass == .suspicious)
        #expect(
            c.evidence.map(\.description) == [
                "It fails both DKIM and SPF alignment.", "It has no reverse DNS name.",
                "Its network is not a known sending service.", "It is not in example.co.jp's SPF record.",
            ])
        // An administrator who approves it makes it theirs, with what to fix.
        var approved = p
        approved.decision = SourceDecision(verdict: .approved, by: "alice", at: 0)
        let a = Self.classifier.classify(approved)
        #expect(a.sourceClass == .yoursFailing)
        #expect(a.decided)
        #expect(a.causes.map(\.code) == [.noDKIM, .spfFails])
        // "Not mine" wins even over passing mail.
        var compliant = p
        compliant.dmarcPass = 50
        compliant.decision = SourceDecision(verdict: .notMine, by: "alice", at: 0)
        #expect(Self.classifier.classify(compliant).sourceClass == .suspicious)
    }

    @Test("an own server with a broken DKIM key, identified by forward-confirmed reverse DNS")
    func ownServerBrokenKey() {
        let p = profile("198.51.100.5") {
            $0.messages = 100
            $0.dmarcPass = 60
            $0.spfAlignedPass = 60
            $0.dkimSignatures = ["example.co.jp": .init(fail: 100)]
            $0.spfDomains = ["example.co.jp": .init(pass: 60, fail: 40)]
            $0.ptr = "mx1.example.co.jp"
            $0.baseDomain = "example.co.jp"
            $0.forwardConfirmed = true
        }
        let c = Self.classifier.classify(p)
        #expect(c.sourceClass == .yoursFailing)
        #expect(c.evidence.first?.code == "own.ptr")
        #expect(c.causes.map(\.code) == [.dkimFails, .spfFails])
    }

    @Test("readiness: an ESP failing 400 of 1,400 messages blocks quarantine; the simulation lists it")
    func readiness() {
        let own = Self.classifier.classify(
            profile("192.0.2.10") {
                $0.messages = 1000
                $0.dmarcPass = 1000
            })
        let esp = Self.classifier.classify(
            profile("167.89.1.2") {
                $0.messages = 400
                $0.dkimSignatures = ["sendgrid.info": .init(pass: 400)]
                $0.spfDomains = ["bounces.sendgrid.net": .init(pass: 400)]
                $0.service = Self.sendgrid
                $0.authorizedBySPF = true
            })
        let spoof = Self.classifier.classify(
            profile("203.0.113.9") {
                $0.messages = 50
                $0.unsigned = 50
            })
        let r = Readiness.assess(
            domain: "example.co.jp", days: 20, currentPolicy: "none", testing: false, sources: [own, esp, spoof])
        #expect(r.totals[.compliant] == 1000)
        #expect(r.totals[.yoursFailing] == 400)
        #expect(r.totals[.suspicious] == 50)
        #expect(!r.quarantine.ready)
        #expect(
            r.quarantine.reasons.map(\.description) == [
                "One of your sources fails DMARC: 20.0 messages a day (28.6% of your mail) would be affected."
            ])
        #expect(!r.reject.ready)
        let q = r.simulations[0]
        #expect(q.policy == "quarantine")
        #expect(q.messages == 400)
        #expect(q.perDay == 20)
        #expect(q.lines.map(\.name) == ["SendGrid"])
        #expect(q.blockedSpoofing == 50)
        // The plan fixes SendGrid first (DKIM and SPF), then walks the four policy steps.
        #expect(r.plan.count == 2 + 4)
        #expect(r.plan[2].record.hasPrefix("v=DMARC1; p=quarantine; t=y; pct=0"))
        #expect(r.plan.last?.record.hasPrefix("v=DMARC1; p=reject") == true)

        // With the ESP fixed, quarantine is ready; reject waits for quarantine to be published.
        let clean = Readiness.assess(
            domain: "example.co.jp", days: 20, currentPolicy: "none", testing: false, sources: [own, spoof])
        #expect(clean.quarantine.ready)
        #expect(!clean.reject.ready)
        #expect(clean.reject.reasons.map(\.description) == ["Run quarantine first: the policy published is none."])
        let later = Readiness.assess(
            domain: "example.co.jp", days: 20, currentPolicy: "quarantine", testing: false, sources: [own, spoof])
        #expect(later.reject.ready)
        #expect(later.plan.map(\.record) == ["v=DMARC1; p=reject; t=y; pct=0; rua=…", "v=DMARC1; p=reject; rua=…"])
        // Too few days is a reason on both verdicts.
        let young = Readiness.assess(
            domain: "example.co.jp", days: 5, currentPolicy: "quarantine", testing: false, sources: [own])
        #expect(!young.quarantine.ready && !young.reject.ready)
    }
}

@Suite("Source classification against crafted reports")
struct HostileSourceTests {
    let classifier = SourceClassifierTests.classifier

    @Test("a forged, failing signature of the domain from the attacker's server is not forwarding")
    func forgedBrokenSignature() {
        var p = SourceProfile(ip: "203.0.113.50", domain: "example.co.jp")
        p.messages = 100
        p.dkimSignatures = ["example.co.jp": .init(fail: 100)]
        p.spfDomains = ["attacker.example": .init(pass: 100)]
        #expect(classifier.classify(p).sourceClass == .suspicious)
        // With a receiver's forwarding override as well, it is a list that broke the signature.
        p.forwardedOverrides = 10
        #expect(classifier.classify(p).sourceClass == .forwarded)
    }

    @Test("counts near Int64.max do not trap: shares and sums saturate")
    func hugeCounts() {
        var p = SourceProfile(ip: "192.0.2.1", domain: "example.co.jp")
        p.messages = Int64.max
        p.dmarcPass = Int64.max / 2
        p.dkimSignatures = ["example.co.jp": .init(pass: Int64.max)]
        p.authorizedBySPF = true
        let c = classifier.classify(p)
        #expect(c.sourceClass == .yoursFailing)
        let r = Readiness.assess(
            domain: "example.co.jp", days: 30, currentPolicy: "none", testing: false, sources: [c, c])
        #expect(r.totals[.yoursFailing] == Int64.max)
        #expect(!r.quarantine.ready)
        #expect(Readiness.format(.infinity) == "–")
        #expect(Readiness.format(1e30) == "1000000000000000.0")
    }

    @Test("a compliant source with a few failures counts among yours in readiness")
    func compliantFailures() {
        var p = SourceProfile(ip: "192.0.2.1", domain: "example.co.jp")
        p.messages = 1000
        p.dmarcPass = 985
        let c = classifier.classify(p)
        #expect(c.sourceClass == .compliant)
        let r = Readiness.assess(domain: "example.co.jp", days: 30, currentPolicy: "none", testing: false, sources: [c])
        #expect(r.quarantine.reasons.first?.code == "ready.own-failing-one")
        #expect(r.simulations[0].lines.count == 1)
    }
}
