// The sending-service catalogue: which service is behind a report source, and how to align it with
// the reported domain. Every domain below was checked against public material (vendor documentation,
// published SPF records, real message headers, parsedmarc's base_reverse_dns_map.csv); a field we
// could not confirm is left empty rather than guessed, because a wrong domain names the wrong sender.

/// A sending service the classifier can recognise, and how to align its mail with your domain.
public struct KnownService: Sendable, Equatable {
    /// The role a service plays for a domain owner; it decides how a failing source should be read.
    public enum Kind: String, Sendable, CaseIterable {
        /// Hosted mailboxes of your organisation: Google Workspace, Microsoft 365, Zoho Mail, Japanese hosting.
        case mailbox
        /// Bulk, transactional and marketing senders.
        case esp
        /// SaaS that sends as you: helpdesk, CRM, ticketing, code hosting.
        case application
        /// Mailbox providers and lists that forward or redistribute mail (breaks SPF, may keep DKIM).
        case forwarder
        /// Security gateways and relays in front of your own mail system.
        case gateway
    }

    /// Stable, lower-case identifier, e.g. `sendgrid`.
    public var id: String
    /// Display name; Japanese services carry their Japanese name in parentheses.
    public var name: String
    public var kind: Kind
    /// A PTR name belongs to the service when it ends with one of these on a label boundary.
    public var ptrDomains: [String]
    /// Domains used in `include:` mechanisms. Where the include is account-specific (HubSpot, Proofpoint)
    /// the parent domain is listed; an include matches when it equals or lies under an entry.
    public var spfIncludes: [String]
    /// The `d=` domains the service signs with when it is not set up to sign for your domain.
    public var dkimDomains: [String]
    /// Default envelope-from (return-path) domains; SPF is checked against these.
    public var returnPathDomains: [String]
    /// How to get DKIM signatures with your own domain, in one or two plain sentences.
    public var alignDKIM: String
    /// How to use a custom return-path / bounce domain, or why SPF cannot align.
    public var alignSPF: String
    /// Vendor documentation for the above, when a page is known.
    public var documentation: String?

    public init(
        id: String, name: String, kind: Kind, ptrDomains: [String] = [], spfIncludes: [String] = [],
        dkimDomains: [String] = [], returnPathDomains: [String] = [], alignDKIM: String, alignSPF: String,
        documentation: String? = nil
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.ptrDomains = ptrDomains
        self.spfIncludes = spfIncludes
        self.dkimDomains = dkimDomains
        self.returnPathDomains = returnPathDomains
        self.alignDKIM = alignDKIM
        self.alignSPF = alignSPF
        self.documentation = documentation
    }
}

/// The curated list of sending services and the lookups the classifier uses on it.
public enum ServiceCatalogue {
    /// Every curated service. Order matters only where services share a PTR domain: Gmail and Google Groups
    /// send from the same `google.com` servers as Google Workspace, so Workspace comes first and wins
    /// unless a DKIM or envelope domain points at one of the others (see `match`).
    public static let services: [KnownService] = mailboxes + esps + applications + forwarders + gateways

    /// The service a source belongs to: by PTR name (suffix on a label boundary, case-insensitive, trailing dot
    /// ignored), else by a DKIM signing domain, else by an SPF/return-path domain (each: the domain equals or is
    /// a subdomain of a listed one). Nil if none.
    ///
    /// The longest listed suffix wins, so a more specific entry beats a broader one. SPF domains are compared
    /// with both `returnPathDomains` and `spfIncludes`: an envelope domain under a vendor's include domain
    /// (`bounces.mailgun.org`) is that vendor's. DKIM and SPF domains are tried in the order given.
    public static func match(ptr: String?, dkimDomains: [String], spfDomains: [String]) -> KnownService? {
        let dkim = dkimDomains.map(normalizedDomain).filter { !$0.isEmpty }
        let spf = spfDomains.map(normalizedDomain).filter { !$0.isEmpty }
        if let ptr {
            let candidates = DomainIndex.lookup(normalizedDomain(ptr), in: index.ptr)
            if let first = candidates.first {
                // Shared infrastructure (Google's outbound servers carry Workspace, Gmail and Groups): the PTR
                // alone cannot tell them apart, the signing or envelope domain can.
                if candidates.count > 1 {
                    for i in candidates where hasEvidence(services[i], dkim: dkim, spf: spf) {
                        return services[i]
                    }
                }
                return services[first]
            }
        }
        for domain in dkim {
            if let i = DomainIndex.lookup(domain, in: index.dkim).first { return services[i] }
        }
        for domain in spf {
            if let i = DomainIndex.lookup(domain, in: index.envelope).first { return services[i] }
        }
        return nil
    }

    /// The service with this id, or nil.
    public static func service(id: String) -> KnownService? {
        index.byID[id].map { services[$0] }
    }

    /// The service an `include:` domain from an SPF record authorises (`us._netblocks.mimecast.com` → Mimecast),
    /// so the domain's own SPF record can be read as a list of services. Nil if the include is not known.
    public static func service(forSPFInclude include: String) -> KnownService? {
        DomainIndex.lookup(normalizedDomain(include), in: index.include).first.map { services[$0] }
    }

    /// Lower-cased, trimmed, without leading/trailing dots and without a local part (`bounce@x.example` →
    /// `x.example`), so report values, PTR answers and catalogue entries compare equal.
    static func normalizedDomain(_ raw: String) -> String {
        var name = Substring(raw.lowercased())
        if let at = name.lastIndex(of: "@") { name = name[name.index(after: at)...] }
        return canonicalName(name)
    }

    private static func hasEvidence(_ service: KnownService, dkim: [String], spf: [String]) -> Bool {
        let envelope = service.returnPathDomains + service.spfIncludes
        return dkim.contains { d in service.dkimDomains.contains { isWithin(d, normalizedDomain($0)) } }
            || spf.contains { d in envelope.contains { isWithin(d, normalizedDomain($0)) } }
    }

    private static func isWithin(_ domain: String, _ parent: String) -> Bool {
        domain == parent || domain.hasSuffix("." + parent)
    }

    private static let index = DomainIndex(services)
}

/// Per-field tables from a listed domain to the services listing it, so a lookup walks the labels of one name
/// instead of comparing it with every entry (reports can hold many thousands of rows).
private struct DomainIndex: Sendable {
    var ptr: [String: [Int]] = [:]
    var dkim: [String: [Int]] = [:]
    /// Return-path domains and SPF include domains: both are vendor-owned envelope territory.
    var envelope: [String: [Int]] = [:]
    var include: [String: [Int]] = [:]
    var byID: [String: Int] = [:]

    init(_ services: [KnownService]) {
        for (i, service) in services.enumerated() {
            Self.add(service.ptrDomains, i, to: &ptr)
            Self.add(service.dkimDomains, i, to: &dkim)
            Self.add(service.returnPathDomains + service.spfIncludes, i, to: &envelope)
            Self.add(service.spfIncludes, i, to: &include)
            byID[service.id] = i
        }
    }

    private static func add(_ domains: [String], _ i: Int, to table: inout [String: [Int]]) {
        for domain in domains {
            let key = ServiceCatalogue.normalizedDomain(domain)
            guard !key.isEmpty, !table[key, default: []].contains(i) else { continue }
            table[key, default: []].append(i)
        }
    }

    /// The services listed under the longest listed suffix of `name` that starts on a label boundary;
    /// empty when none is listed. Dropping one leading label at a time keeps `notsendgrid.net` away from
    /// `sendgrid.net`.
    static func lookup(_ name: String, in table: [String: [Int]]) -> [Int] {
        var candidate = Substring(name)
        while !candidate.isEmpty {
            if let hit = table[String(candidate)] { return hit }
            guard let dot = candidate.firstIndex(of: ".") else { break }
            candidate = candidate[candidate.index(after: dot)...]
        }
        return []
    }
}

/// Lower-cased, without surrounding whitespace and without leading or trailing dots (`Example.COM.` → `example.com`).
private func canonicalName<S: StringProtocol>(_ raw: S) -> String {
    var name = Substring(raw.lowercased())
    while let c = name.first, c.isWhitespace || c == "." { name.removeFirst() }
    while let c = name.last, c.isWhitespace || c == "." { name.removeLast() }
    return String(name)
}

// MARK: - Catalogue

extension ServiceCatalogue {
    private static let mailboxes: [KnownService] = [
        KnownService(
            id: "google-workspace", name: "Google Workspace", kind: .mailbox,
            ptrDomains: ["google.com"], spfIncludes: ["_spf.google.com"], dkimDomains: ["gappssmtp.com"],
            alignDKIM: "Generate a DKIM key in the Admin console (Gmail › Authenticate email), publish it as the"
                + " google._domainkey TXT record and start authentication; until then Gmail signs with a"
                + " *.gappssmtp.com key that does not align.",
            alignSPF: "Gmail keeps the sender's own address as the envelope from, so SPF aligns once your SPF"
                + " record contains include:_spf.google.com.",
            documentation: "https://support.google.com/a/answer/174124"),
        KnownService(
            id: "microsoft-365", name: "Microsoft 365 / Exchange Online", kind: .mailbox,
            ptrDomains: ["outbound.protection.outlook.com"], spfIncludes: ["spf.protection.outlook.com"],
            dkimDomains: ["onmicrosoft.com"],
            alignDKIM: "Publish the selector1 and selector2 CNAME records for your domain and enable DKIM signing"
                + " for it in the Microsoft Defender portal; until then Exchange Online signs with your tenant's"
                + " onmicrosoft.com domain, which does not align.",
            alignSPF: "Exchange Online keeps the sender's address as the envelope from, so SPF aligns once your"
                + " SPF record contains include:spf.protection.outlook.com.",
            documentation: "https://learn.microsoft.com/en-us/defender-office-365/email-authentication-dkim-configure"),
        KnownService(
            id: "zoho-mail", name: "Zoho Mail", kind: .mailbox,
            ptrDomains: ["zoho.com", "zohomail.com", "zoho.eu", "zoho.in"],
            spfIncludes: ["zoho.com", "zohomail.com", "zoho.eu", "zohomail.eu", "zoho.in"],
            alignDKIM: "Add a DKIM selector for the domain in the Zoho Mail admin console, publish its TXT record"
                + " and enable signing.",
            alignSPF: "Zoho Mail keeps your address as the envelope from, so SPF aligns once your SPF record"
                + " contains the include Zoho shows for your data centre (for example include:zohomail.com or"
                + " include:zoho.eu)."),
        KnownService(
            id: "xserver", name: "Xserver (エックスサーバー)", kind: .mailbox,
            ptrDomains: ["xserver.jp", "xbiz.ne.jp"], spfIncludes: ["spf.sender.xserver.jp"],
            alignDKIM: "Turn on DKIM for the domain in the Xserver server panel and publish the TXT record it"
                + " shows (automatic when Xserver also runs the domain's DNS).",
            alignSPF: "Mail sent from an Xserver mailbox uses your address as the envelope from, so SPF aligns"
                + " once your SPF record contains include:spf.sender.xserver.jp."),
        KnownService(
            id: "sakura-internet", name: "Sakura Internet (さくらのレンタルサーバ)", kind: .mailbox,
            ptrDomains: ["sakura.ne.jp"],
            alignDKIM: "Enable DKIM signing for the domain in the Sakura server control panel and publish the TXT"
                + " record it shows if your DNS is elsewhere.",
            alignSPF: "Sakura sends with your address as the envelope from; authorise your server in SPF"
                + " (the panel's suggested record, e.g. a:wwwNNN.sakura.ne.jp) and SPF aligns.",
            documentation: "https://help.sakura.ad.jp/rs/2861"),
        KnownService(
            id: "gmo-onamae", name: "GMO お名前.com (onamae)", kind: .mailbox,
            ptrDomains: ["onamae.ne.jp"], spfIncludes: ["_spf.onamae.ne.jp"],
            alignDKIM: "Enable DKIM for the domain in the お名前.com mail/server settings and publish its"
                + " default._domainkey TXT record if your DNS is elsewhere.",
            alignSPF: "Mail from お名前.com mail servers keeps your address as the envelope from, so SPF aligns"
                + " once your SPF record contains include:_spf.onamae.ne.jp."),
        KnownService(
            id: "conoha", name: "ConoHa (GMO)", kind: .mailbox,
            ptrDomains: ["conoha.ne.jp"], spfIncludes: ["_spf.conoha.ne.jp"],
            alignDKIM: "Enable DKIM for the domain in the ConoHa control panel and publish the default._domainkey"
                + " TXT record it shows if your DNS is elsewhere.",
            alignSPF: "Mail from ConoHa mail servers keeps your address as the envelope from, so SPF aligns once"
                + " your SPF record contains include:_spf.conoha.ne.jp."),
        KnownService(
            id: "heteml", name: "heteml (ヘテムル)", kind: .mailbox,
            ptrDomains: ["heteml.jp"], spfIncludes: ["_spf.heteml.jp"],
            alignDKIM: "Use heteml's DKIM setting for the domain if your plan offers it and publish the record it"
                + " shows; otherwise DMARC depends on SPF alone.",
            alignSPF: "Mail from heteml keeps your address as the envelope from, so SPF aligns once your SPF"
                + " record contains include:_spf.heteml.jp (set automatically when heteml runs your DNS).",
            documentation: "https://support.heteml.jp/hc/ja/articles/360041679414"),
        KnownService(
            id: "lolipop", name: "Lolipop! (ロリポップ!)", kind: .mailbox,
            ptrDomains: ["lolipop.jp"], spfIncludes: ["_spf.lolipop.jp"],
            alignDKIM: "Use Lolipop!'s DKIM setting for the domain if your plan offers it and publish the record"
                + " it shows; otherwise DMARC depends on SPF alone.",
            alignSPF: "Mail from a Lolipop! mailbox keeps your address as the envelope from, so SPF aligns once"
                + " your SPF record contains include:_spf.lolipop.jp."),
        KnownService(
            id: "kagoya", name: "KAGOYA (カゴヤ)", kind: .mailbox,
            ptrDomains: ["kagoya.net"], spfIncludes: ["kagoya.net"],
            alignDKIM: "Enable DKIM for the domain in the KAGOYA control panel and publish the"
                + " kagoya._domainkey record it shows.",
            alignSPF: "Mail from KAGOYA mail servers keeps your address as the envelope from, so SPF aligns once"
                + " your SPF record contains include:kagoya.net."),
    ]

    private static let esps: [KnownService] = [
        KnownService(
            id: "amazon-ses", name: "Amazon SES", kind: .esp,
            ptrDomains: ["amazonses.com"], spfIncludes: ["amazonses.com"], dkimDomains: ["amazonses.com"],
            returnPathDomains: ["amazonses.com"],
            alignDKIM: "Verify the domain with Easy DKIM (three CNAME records pointing into dkim.amazonses.com);"
                + " SES then signs with your domain as well as with its own amazonses.com key.",
            alignSPF: "Set a custom MAIL FROM subdomain (an MX record to feedback-smtp.<region>.amazonses.com and"
                + " an SPF record with include:amazonses.com); otherwise SES uses a subdomain of amazonses.com.",
            documentation: "https://docs.aws.amazon.com/ses/latest/dg/send-email-authentication-dkim-easy.html"),
        KnownService(
            id: "sendgrid", name: "SendGrid (Twilio)", kind: .esp,
            ptrDomains: ["sendgrid.net", "dlivry.co"], spfIncludes: ["sendgrid.net"],
            dkimDomains: ["sendgrid.info", "sendgrid.net"], returnPathDomains: ["sendgrid.net"],
            alignDKIM: "Complete Domain Authentication (the s1 and s2._domainkey CNAME records) so SendGrid signs"
                + " with your domain instead of sendgrid.net or sendgrid.info.",
            alignSPF: "With automated security, Domain Authentication also adds an em#### CNAME that becomes the"
                + " return path, so SPF aligns in relaxed mode; without it the envelope from is on sendgrid.net.",
            documentation: "https://www.twilio.com/docs/sendgrid/ui/account-and-settings/"
                + "how-to-set-up-domain-authentication"),
        KnownService(
            id: "mailgun", name: "Mailgun", kind: .esp,
            ptrDomains: ["mailgun.net", "mailgun.info", "mailgun.us"], spfIncludes: ["mailgun.org"],
            dkimDomains: ["mailgun.org"], returnPathDomains: ["mailgun.org"],
            alignDKIM: "Send from a verified Mailgun domain (ideally a subdomain such as mg.example.com) with its"
                + " DKIM record published; Mailgun then signs with it in addition to its own mailgun.org signature.",
            alignSPF: "Mailgun uses the verified sending domain as the envelope from (bounce+…@mg.example.com), so"
                + " publish include:mailgun.org on that domain; the sandbox *.mailgun.org domains never align.",
            documentation: "https://help.mailgun.com/hc/en-us/articles/13285772266011-DMARC"),
        KnownService(
            id: "mailchimp", name: "Mailchimp (Intuit)", kind: .esp,
            ptrDomains: ["mcsv.net", "rsgsv.net", "mcdlv.net"], spfIncludes: ["servers.mcsv.net"],
            dkimDomains: ["mcsv.net"], returnPathDomains: ["mcsv.net", "rsgsv.net", "mcdlv.net"],
            alignDKIM: "Authenticate the domain in Mailchimp (Domains › Authenticate) and publish the two DKIM"
                + " CNAME records it shows; until then campaigns are signed with mcsv.net.",
            alignSPF: "On shared sending Mailchimp always uses its own bounce domain (mcsv.net, mcdlv.net or"
                + " rsgsv.net), so SPF cannot align and DMARC relies on the DKIM signature."),
        KnownService(
            id: "mandrill", name: "Mandrill (Mailchimp Transactional)", kind: .esp,
            ptrDomains: ["mandrillapp.com"], spfIncludes: ["spf.mandrillapp.com"], dkimDomains: ["mandrillapp.com"],
            returnPathDomains: ["mandrillapp.com"],
            alignDKIM: "Add the sending domain in Mandrill and publish the mte1 and mte2._domainkey CNAME records"
                + " (to dkim1/dkim2.mandrillapp.com); Mandrill refuses to send from unverified domains.",
            alignSPF: "Add a custom return-path domain under Settings › Tracking & Return Path Domains so SPF"
                + " aligns; by default the envelope from is on mandrillapp.com.",
            documentation: "https://mandrill.zendesk.com/hc/en-us/articles/360039236053-About-SPF-and-DKIM"),
        KnownService(
            id: "salesforce-marketing-cloud", name: "Salesforce Marketing Cloud (ExactTarget)", kind: .esp,
            ptrDomains: ["exacttarget.com", "exactt.com"], spfIncludes: ["cust-spf.exacttarget.com"],
            dkimDomains: ["exacttarget.com"], returnPathDomains: ["exacttarget.com"],
            alignDKIM: "Set up a Sender Authentication Package or a Private Domain so Marketing Cloud signs with"
                + " your (sub)domain instead of an exacttarget.com domain.",
            alignSPF: "The default envelope from is bounce.*.exacttarget.com and cannot align; a Sender"
                + " Authentication Package moves the return path onto your branded subdomain.",
            documentation: "https://help.salesforce.com/s/articleView?"
                + "id=mktg.mc_es_sender_policy_framework_faq.htm&type=5"),
        KnownService(
            id: "marketo", name: "Adobe Marketo Engage", kind: .esp,
            ptrDomains: ["mktomail.com"], spfIncludes: ["mktomail.com"],
            alignDKIM: "Add the domain under Admin › Email › SPF/DKIM in Marketo and publish the DKIM TXT record"
                + " it generates.",
            alignSPF: "include:mktomail.com makes SPF pass, but it aligns only if the envelope from is on your"
                + " domain; check a test message's Return-Path and otherwise rely on DKIM."),
        KnownService(
            id: "hubspot", name: "HubSpot", kind: .esp,
            ptrDomains: ["hubspotemail.net"], spfIncludes: ["hubspotemail.net"], dkimDomains: ["hubspotemail.net"],
            returnPathDomains: ["hubspotemail.net"],
            alignDKIM: "Connect the email sending domain (Settings › Domains & URLs) and publish the two DKIM"
                + " CNAME records; until then mail is signed with a hubspotemail.net subdomain.",
            alignSPF: "On shared IPs the return path is a hubspotemail.net subdomain, so SPF cannot align; only"
                + " a dedicated IP lets HubSpot use a return-path subdomain of yours (with an account-specific"
                + " NNN.spfNN.hubspotemail.net include)."),
        KnownService(
            id: "postmark", name: "Postmark (ActiveCampaign)", kind: .esp,
            ptrDomains: ["mtasv.net"], spfIncludes: ["spf.mtasv.net"], dkimDomains: ["pm.mtasv.net"],
            returnPathDomains: ["pm.mtasv.net"],
            alignDKIM: "Publish the DKIM record Postmark shows for the domain or Sender Signature; Postmark then"
                + " signs with your domain as well as with pm.mtasv.net.",
            alignSPF: "Add a custom Return-Path (e.g. pm-bounces.example.com as a CNAME to pm.mtasv.net) so SPF"
                + " aligns; the default pm_bounces@pm.mtasv.net cannot.",
            documentation: "https://postmarkapp.com/blog/how-dmarc-and-a-custom-return-path-work-together"),
        KnownService(
            id: "sparkpost", name: "SparkPost (Bird)", kind: .esp,
            ptrDomains: ["sparkpostmail.com"], spfIncludes: ["_spf.sparkpostmail.com", "sparkpostmail.com"],
            returnPathDomains: ["sparkpostmail.com"],
            alignDKIM: "Add and verify a sending domain and publish the DKIM TXT record SparkPost generates for it.",
            alignSPF: "Verify a bounce domain (a subdomain with a CNAME to sparkpostmail.com, or to"
                + " eu.sparkpostmail.com on SparkPost EU) and send with it; the default sparkpostmail.com"
                + " return path cannot align.",
            documentation: "https://www.sparkpost.com/docs/tech-resources/custom-bounce-domain/"),
        KnownService(
            id: "brevo", name: "Brevo (Sendinblue)", kind: .esp,
            ptrDomains: ["mailin.fr"], spfIncludes: ["spf.brevo.com", "spf.sendinblue.com"],
            dkimDomains: ["sendinblue.com"], returnPathDomains: ["sender-sib.com", "mailin.fr"],
            alignDKIM: "Authenticate the domain in Brevo (Senders, domains & dedicated IPs) and publish the DKIM"
                + " records it shows; until then mail is signed d=sendinblue.com.",
            alignSPF: "On shared IPs the envelope from is on Brevo's sender-sib.com or mailin.fr domains, so SPF"
                + " cannot align and DMARC relies on DKIM."),
        KnownService(
            id: "zeptomail", name: "ZeptoMail (Zoho)", kind: .esp,
            spfIncludes: ["zeptomail.net"],
            alignDKIM: "Domain verification requires the DKIM TXT record ZeptoMail shows, so mail from a verified"
                + " domain is signed with it.",
            alignSPF: "Create a bounce address on a subdomain with the CNAME ZeptoMail asks for and use it; the"
                + " return path is then your subdomain and SPF aligns in relaxed mode.",
            documentation: "https://www.zoho.com/zeptomail/help/domains.html"),
        KnownService(
            id: "mailjet", name: "Mailjet (Sinch)", kind: .esp,
            ptrDomains: ["mailjet.com"], spfIncludes: ["spf.mailjet.com"], returnPathDomains: ["mailjet.com"],
            alignDKIM: "Publish the DKIM TXT record shown on Mailjet's Sending Domain Authentication page; Mailjet"
                + " then signs with your domain.",
            alignSPF: "By default the return path is on bnc3.mailjet.com and cannot align; Mailjet's custom"
                + " return-path CNAME on a subdomain of yours gives relaxed SPF alignment.",
            documentation: "https://documentation.mailjet.com/hc/en-us/articles/"
                + "360042412734-Authenticating-Domains-with-SPF-DKIM"),
        KnownService(
            id: "constant-contact", name: "Constant Contact", kind: .esp,
            ptrDomains: ["constantcontact.com", "msgexch.com"], spfIncludes: ["spf.constantcontact.com"],
            dkimDomains: ["ccsend.com"], returnPathDomains: ["constantcontact.com"],
            alignDKIM: "Enable self-authentication for the domain and publish the two DKIM CNAME records"
                + " (ctct1/ctct2._domainkey); until then mail is signed d=auth.ccsend.com.",
            alignSPF: "Constant Contact bounces to its own domain (e.g. in.constantcontact.com), so SPF cannot"
                + " align and DMARC relies on DKIM."),
        KnownService(
            id: "klaviyo", name: "Klaviyo", kind: .esp,
            dkimDomains: ["klaviyomail.com"], returnPathDomains: ["klaviyomail.com"],
            alignDKIM: "Set up a branded sending domain (Settings › Domains) and publish the CNAME records Klaviyo"
                + " gives you; on the shared klaviyomail.com domain DKIM cannot align.",
            alignSPF: "The branded sending domain's CNAMEs also make it the return path, so SPF aligns in relaxed"
                + " mode; no include is needed at your root domain.",
            documentation: "https://help.klaviyo.com/hc/en-us/articles/115000357752"),
        KnownService(
            id: "blastmail", name: "blastmail (ブラストメール)", kind: .esp,
            spfIncludes: ["spf.bmv.jp"],
            alignDKIM: "Enable a DKIM author-domain signature (DKIM作成者署名) for your From domain in blastmail if"
                + " offered and publish its key; a signature on blastmail's own domain does not align.",
            alignSPF: "Add include:spf.bmv.jp to your SPF record; SPF aligns for DMARC only when the return path"
                + " (error-mail address) is on your domain, so check a test message's Return-Path."),
        KnownService(
            id: "haihai-mail", name: "HAIHAI mail (配配メール)", kind: .esp,
            spfIncludes: ["spf.haihaimail.jp"],
            alignDKIM: "Set up the DKIM signature for your From domain following 配配メール's domain-authentication"
                + " guide and publish the record it issues.",
            alignSPF: "Add include:spf.haihaimail.jp to your SPF record; SPF aligns for DMARC only when the return"
                + " path is on your domain, so check a test message's Return-Path.",
            documentation: "https://support.haihaimail.jp/arrivalimprovement/spfset/"),
        KnownService(
            id: "cuenote", name: "Cuenote (ユミルリンク / Yumir Link)", kind: .esp,
            ptrDomains: ["cuenote.jp"],
            alignDKIM: "Cuenote SR-S adds no DKIM signature by default: register a key for your From domain (the"
                + " set_dkim_key API) and publish the public key at <selector>._domainkey.",
            alignSPF: "Per Cuenote, SPF alignment needs a plan change or paid customisation; until then DMARC relies"
                + " on the DKIM signature.",
            documentation: "https://cuenote.ne.jp/srs/faq/increase-success-rate/dkim.html"),
        KnownService(
            id: "benchmark-email", name: "Benchmark Email (ベンチマークEメール)", kind: .esp,
            spfIncludes: ["bmsend.com"],
            alignDKIM: "Complete domain authentication (送信ドメイン認証) and publish the records Benchmark generates;"
                + " unauthenticated mail goes out from a shared …clients.bmsend.com address instead of yours.",
            alignSPF: "Add include:bmsend.com to your SPF record as Benchmark instructs; SPF aligns only when the"
                + " envelope from is on your domain, so check a test message's Return-Path.",
            documentation: "https://kb.benchmarkemail.com/jp/set-email-domain-authentication/"),
        KnownService(
            id: "synergy-lead", name: "Synergy!LEAD (シナジーマーケティング)", kind: .esp,
            spfIncludes: ["crmstyle.com"],
            alignDKIM: "Synergy Marketing signs with a third-party DKIM signature by default; ask for the DKIM"
                + " author-domain signature (DKIM作成者署名), a paid option, to sign with your domain.",
            alignSPF: "Add include:crmstyle.com to your SPF record; SPF aligns only when the return path is on"
                + " your domain, so check a test message's Return-Path.",
            documentation: "https://www.synergy-marketing.co.jp/cloud/synergylead/support/faq-mail-senderid-spf/"),
        KnownService(
            id: "spiral", name: "SPIRAL (スパイラル)", kind: .esp,
            spfIncludes: ["smp.ne.jp"],
            alignDKIM: "Ask SPIRAL to sign with your From domain (DKIM author-domain signature) and publish the key"
                + " it issues; a signature on SPIRAL's own domain does not align.",
            alignSPF: "Add include:smp.ne.jp to your SPF record; SPF aligns only when the return path is on your"
                + " domain, so check a test message's Return-Path.",
            documentation: "https://support.smp.ne.jp/faq/mail-faq/f0043/"),
    ]

    private static let applications: [KnownService] = [
        KnownService(
            id: "salesforce", name: "Salesforce (platform email)", kind: .application,
            ptrDomains: ["salesforce.com"], spfIncludes: ["_spf.salesforce.com"],
            returnPathDomains: ["bnc.salesforce.com"],
            alignDKIM: "Create and activate a DKIM key in Setup › DKIM Keys and publish the CNAME records Salesforce"
                + " shows, so mail is signed with your domain.",
            alignSPF: "With bounce management or email security compliance on, the envelope from is a"
                + " *.bnc.salesforce.com address that cannot align; turn both off and add include:_spf.salesforce.com"
                + " for SPF alignment, or rely on DKIM."),
        KnownService(
            id: "zendesk", name: "Zendesk", kind: .application,
            ptrDomains: ["zdsys.com"], spfIncludes: ["mail.zendesk.com"], dkimDomains: ["zendesk.com"],
            returnPathDomains: ["zendesk.com"],
            alignDKIM: "Publish the zendesk1 and zendesk2._domainkey CNAME records first, then enable DKIM for the"
                + " domain in Admin Center › Channels › Email; until then mail is signed d=zendesk.com.",
            alignSPF: "Add include:mail.zendesk.com to your SPF record; mail that still leaves with a zendesk.com"
                + " envelope from cannot align and depends on DKIM.",
            documentation: "https://support.zendesk.com/hc/en-us/articles/4867238761626"),
        KnownService(
            id: "intercom", name: "Intercom", kind: .application,
            returnPathDomains: ["intercom-mail.com"],
            alignDKIM: "Authenticate the domain in Settings › Channels › Email › Domains & addresses and publish"
                + " the DKIM CNAME record Intercom gives you.",
            alignSPF: "Publish the custom return-path CNAME from the same screen; without it Intercom's own"
                + " intercom-mail.com envelope from is used and SPF cannot align.",
            documentation: "https://www.intercom.com/help/en/articles/"
                + "11183745-troubleshooting-email-authentication-issues-dkim-dmarc-and-dns-setup"),
        KnownService(
            id: "freshdesk", name: "Freshdesk (Freshworks)", kind: .application,
            spfIncludes: ["email.freshdesk.com"],
            alignDKIM: "Configure DKIM for the support domain in Freshdesk's email settings and publish the CNAME"
                + " records it shows; with a custom mailbox your own mail server signs instead.",
            alignSPF: "Add include:email.freshdesk.com to your SPF record for mail Freshdesk's servers send as you;"
                + " with a custom mailbox (your SMTP server) your provider's SPF applies."),
        KnownService(
            id: "atlassian", name: "Atlassian Cloud (Jira / Confluence)", kind: .application,
            spfIncludes: ["_spf.atlassian.net"],
            alignDKIM: "Add the domain in Atlassian Administration › Settings › Emails and publish the two DKIM CNAME"
                + " records it lists, so Jira and Confluence sign with your domain.",
            alignSPF: "The same screen lists a bounce CNAME record; publishing it puts the return path on your"
                + " domain so SPF can align.",
            documentation: "https://support.atlassian.com/organization-administration/docs/"
                + "what-are-the-dns-records-required-for-configuring-dmarc/"),
        KnownService(
            id: "github", name: "GitHub", kind: .application,
            ptrDomains: ["smtp.github.com"], dkimDomains: ["github.com"], returnPathDomains: ["github.com"],
            alignDKIM: "GitHub.com signs only as github.com and cannot sign for your domain; mail claiming your"
                + " domain from GitHub's servers is relayed or forwarded, so find out who sends it.",
            alignSPF: "GitHub's envelope from is noreply@github.com, so SPF never aligns with your domain."),
    ]

    private static let forwarders: [KnownService] = [
        KnownService(
            id: "gmail", name: "Gmail (personal accounts and forwarding)", kind: .forwarder,
            ptrDomains: ["google.com"], dkimDomains: ["gmail.com"], returnPathDomains: ["gmail.com"],
            alignDKIM: "A personal Gmail account signs as gmail.com and cannot sign for your domain; people using"
                + " Gmail's “Send mail as” with your address should send through your own provider's SMTP server.",
            alignSPF: "The envelope from stays on gmail.com, so SPF cannot align; forwarded mail still passes DMARC"
                + " when your original DKIM signature survives."),
        KnownService(
            id: "google-groups", name: "Google Groups", kind: .forwarder,
            ptrDomains: ["google.com"], dkimDomains: ["googlegroups.com"], returnPathDomains: ["googlegroups.com"],
            alignDKIM: "Groups adds its own googlegroups.com signature; your signature survives only if the group"
                + " leaves subject and body alone, so avoid subject tags and footers on groups that carry your mail.",
            alignSPF: "The group resends with a googlegroups.com envelope from, so SPF cannot align for list"
                + " traffic; this is expected and relies on your DKIM."),
        KnownService(
            id: "groups-io", name: "Groups.io", kind: .forwarder,
            ptrDomains: ["groups.io"], dkimDomains: ["groups.io"], returnPathDomains: ["groups.io"],
            alignDKIM: "Groups.io re-signs list mail as groups.io; your own signature survives only when the list"
                + " does not change subject or body.",
            alignSPF: "Lists resend with their own bounce address (bounce+…@groups.io), so SPF cannot align for"
                + " list traffic."),
        KnownService(
            id: "yahoo", name: "Yahoo Mail / AOL", kind: .forwarder,
            ptrDomains: ["yahoo.com"],
            alignDKIM: "Yahoo and AOL cannot sign for your domain; a mailbox there is usually forwarding your mail,"
                + " which still passes DMARC when your own DKIM signature survives.",
            alignSPF: "Forwarding breaks SPF for your domain by design; make sure your outgoing mail carries an"
                + " aligned DKIM signature."),
        KnownService(
            id: "yahoo-japan", name: "Yahoo! JAPAN Mail (Yahoo!メール)", kind: .forwarder,
            ptrDomains: ["yahoo.co.jp"],
            alignDKIM: "Yahoo! JAPAN cannot sign for your domain; a mailbox there is usually forwarding your mail,"
                + " which still passes DMARC when your own DKIM signature survives.",
            alignSPF: "Forwarding breaks SPF for your domain by design; make sure your outgoing mail carries an"
                + " aligned DKIM signature."),
        KnownService(
            id: "icloud", name: "iCloud Mail (Apple)", kind: .forwarder,
            ptrDomains: ["me.com"], spfIncludes: ["icloud.com"], dkimDomains: ["icloud.com"],
            alignDKIM: "For an iCloud+ custom email domain publish the sig1._domainkey CNAME Apple shows (into"
                + " icloudmailadmin.com); personal @icloud.com accounts cannot sign for your domain.",
            alignSPF: "A custom email domain needs include:icloud.com in SPF; mail forwarded by iCloud breaks SPF"
                + " and depends on your DKIM."),
        KnownService(
            id: "ntt-docomo", name: "NTT Docomo (ドコモ)", kind: .forwarder,
            ptrDomains: ["nttdocomo.co.jp"],
            alignDKIM: "A carrier mailbox cannot sign for your domain; carrier forwarding passes DMARC only when"
                + " your own DKIM signature survives.",
            alignSPF: "Forwarding breaks SPF by design. A subscriber line rather than a carrier mail server is not"
                + " a forwarder and should not be sending as your domain."),
        KnownService(
            id: "kddi-au", name: "KDDI / au", kind: .forwarder,
            ptrDomains: ["kddi.ne.jp", "auone-net.jp", "au.com"],
            alignDKIM: "A carrier mailbox cannot sign for your domain; carrier forwarding passes DMARC only when"
                + " your own DKIM signature survives.",
            alignSPF: "Forwarding breaks SPF by design. A subscriber line rather than a carrier mail server is not"
                + " a forwarder and should not be sending as your domain."),
        KnownService(
            id: "softbank", name: "SoftBank (ソフトバンク)", kind: .forwarder,
            ptrDomains: ["softbank.ne.jp", "softbank.jp"],
            alignDKIM: "A carrier mailbox cannot sign for your domain; carrier forwarding passes DMARC only when"
                + " your own DKIM signature survives.",
            alignSPF: "Forwarding breaks SPF by design. A subscriber line rather than a carrier mail server is not"
                + " a forwarder and should not be sending as your domain."),
    ]

    private static let gateways: [KnownService] = [
        KnownService(
            id: "proofpoint", name: "Proofpoint", kind: .gateway,
            ptrDomains: ["pphosted.com", "ppe-hosted.com", "gpphosted.com"],
            spfIncludes: ["pphosted.com", "ppe-hosted.com"],
            alignDKIM: "Sign with your domain before Proofpoint relays the mail, or configure DKIM signing for the"
                + " domain in Proofpoint, and make sure the message is not altered after signing.",
            alignSPF: "Add the include Proofpoint assigns you (a customer-specific *.pphosted.com include on"
                + " Enterprise, the regional _spf-*.ppe-hosted.com include on Essentials) so relayed mail passes"
                + " SPF for your own envelope from."),
        KnownService(
            id: "mimecast", name: "Mimecast", kind: .gateway,
            ptrDomains: ["mimecast.com"], spfIncludes: ["_netblocks.mimecast.com"],
            alignDKIM: "Create a DKIM signing definition for the domain (Gateway › Policies › DNS Authentication -"
                + " Outbound) and publish the TXT record Mimecast generates.",
            alignSPF: "Add your region's include (e.g. include:eu._netblocks.mimecast.com or"
                + " include:us._netblocks.mimecast.com) so relayed mail passes SPF for your own envelope from.",
            documentation: "https://mimecastsupport.zendesk.com/hc/en-us/articles/34000792642963"),
        KnownService(
            id: "barracuda", name: "Barracuda Email Gateway Defense", kind: .gateway,
            ptrDomains: ["barracuda.com"], spfIncludes: ["spf.ess.barracudanetworks.com"],
            alignDKIM: "Sign with your domain before the gateway (or in it, where your plan offers outbound DKIM)"
                + " and make sure the message is not altered after signing.",
            alignSPF: "Add include:spf.ess.barracudanetworks.com (or the regional include shown in your console) so"
                + " relayed mail passes SPF for your own envelope from."),
        KnownService(
            id: "iij-securemx", name: "IIJ Secure MX", kind: .gateway,
            ptrDomains: ["securemx.jp"],
            alignDKIM: "Sign with your domain before the gateway (or in it, where the service offers outbound DKIM)"
                + " and make sure the message is not altered after signing.",
            alignSPF: "Authorise the IIJ relay in your SPF record as IIJ instructs so relayed mail passes SPF for"
                + " your own envelope from."),
    ]
}

// MARK: - parsedmarc's reverse DNS map

/// parsedmarc's base_reverse_dns_map.csv (columns base_reverse_dns,name,type; a header line; quoted fields
/// possible), for breadth beyond the curated list.
public struct ReverseDNSMap: Sendable {
    /// What the map says about one base reverse DNS domain.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var type: String

        public init(name: String, type: String) {
            self.name = name
            self.type = type
        }
    }

    /// Key: lower-cased base reverse DNS domain.
    public private(set) var entries: [String: Entry]

    public init() {
        entries = [:]
    }

    /// Parses CSV text; malformed lines are skipped and counted. Throws nothing.
    ///
    /// A record is malformed when it does not have exactly three fields, has an empty domain or name, or has a
    /// stray quote. Quoted fields may contain commas, doubled quotes and line breaks, as in RFC 4180, so a quote
    /// left open swallows the rest of the text as one malformed record. Blank lines are not counted; a later
    /// duplicate domain replaces an earlier one, as the file is edited by hand.
    public static func parse(_ csv: String) -> (map: ReverseDNSMap, skipped: Int) {
        var map = ReverseDNSMap()
        var skipped = 0
        var isFirstRecord = true
        var reader = CSVReader(csv)
        while let record = reader.next() {
            guard case .fields(let fields) = record else {
                if case .malformed = record {
                    skipped += 1
                    isFirstRecord = false
                }
                continue
            }
            defer { isFirstRecord = false }
            if isFirstRecord, canonicalName(fields[0]) == "base_reverse_dns" { continue }
            let key = canonicalName(fields[0])
            guard fields.count == 3, !key.isEmpty, !fields[1].isEmpty else {
                skipped += 1
                continue
            }
            map.entries[key] = Entry(name: fields[1], type: fields[2])
        }
        return (map, skipped)
    }

    /// The entry for a PTR base domain (exact, lower-cased, trailing dot ignored).
    public func entry(forBaseDomain domain: String) -> Entry? {
        entries[canonicalName(domain)]
    }
}

/// Splits CSV text into records, one call at a time.
private struct CSVReader {
    enum Record {
        /// An empty or whitespace-only line.
        case blank
        case malformed
        case fields([String])
    }

    private let chars: [Character]
    private var position = 0

    init(_ text: String) {
        var chars = Array(text)
        if chars.first == "\u{FEFF}" { chars.removeFirst() }  // Spreadsheet exports often start with a BOM.
        self.chars = chars
    }

    mutating func next() -> Record? {
        guard position < chars.count else { return nil }
        var fields: [String] = []
        var field = ""
        var quoted = false  // The current field opened with a quote.
        var inQuotes = false
        var closed = false  // The quoted field's closing quote has been seen.
        var stray = false
        while position < chars.count {
            let c = chars[position]
            position += 1
            if inQuotes {
                if c != "\"" {
                    field.append(c)
                } else if position < chars.count, chars[position] == "\"" {
                    field.append("\"")
                    position += 1
                } else {
                    inQuotes = false
                    closed = true
                }
                continue
            }
            // "\r\n" is a single Character in Swift.
            if c == "\n" || c == "\r" || c == "\r\n" { break }
            if c == "," {
                fields.append(quoted ? field : canonicalField(field))
                field = ""
                (quoted, closed) = (false, false)
            } else if c == "\"" {
                if !quoted, field.allSatisfy(\.isWhitespace) {
                    (quoted, inQuotes, field) = (true, true, "")
                } else {
                    stray = true
                }
            } else if closed {
                if !c.isWhitespace { stray = true }
            } else {
                field.append(c)
            }
        }
        if inQuotes { return .malformed }
        fields.append(quoted ? field : canonicalField(field))
        if fields.count == 1, !quoted, fields[0].isEmpty { return .blank }
        return stray ? .malformed : .fields(fields)
    }

    /// Unquoted fields lose surrounding whitespace (the map has entries like `afnet.net, AFNET,ISP`).
    private func canonicalField(_ field: String) -> String {
        var s = Substring(field)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
