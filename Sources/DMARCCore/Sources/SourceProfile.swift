/// Everything known about one sending address for one domain over a period: what the reports
/// say (volumes, DKIM signatures, SPF domains, override reasons) and what enrichment found.
public struct SourceProfile: Sendable, Equatable {
    public var ip: String
    /// The policy domain the reports were for.
    public var domain: String
    public var messages: Int64 = 0
    public var dmarcPass: Int64 = 0
    public var dkimAlignedPass: Int64 = 0
    public var spfAlignedPass: Int64 = 0
    public var quarantined: Int64 = 0
    public var rejected: Int64 = 0
    /// Messages whose receiver applied an override reason of `forwarded`, `mailing_list` or
    /// `trusted_forwarder`.
    public var forwardedOverrides: Int64 = 0
    /// Messages with no DKIM signature (no result, or only `none`; a temperror is a signature).
    public var unsigned: Int64 = 0
    /// DKIM results by signing domain (d=, lower case) and the From domain of the messages signed.
    public var dkimResults: [AuthKey: Tally] = [:]
    /// SPF results (envelope From only) by checked domain and the From domain of the messages.
    public var spfResults: [AuthKey: Tally] = [:]
    /// Days with messages from this address.
    public var activeDays = 0
    public var reporters: Set<String> = []

    // Enrichment.
    public var ptr: String?
    public var forwardConfirmed = false
    public var baseDomain: String?
    public var country: String?
    public var asn: Int?
    public var asOrganization: String?
    public var networkOwner: String?
    /// The sending service recognised from PTR, DKIM or SPF domains.
    public var service: ServiceIdentity?
    /// Whether the domain's published SPF record authorises this address (nil: not checked).
    public var authorizedBySPF: Bool?
    /// The administrator's decision, which overrides the guess.
    public var decision: SourceDecision?

    public init(ip: String, domain: String) {
        self.ip = ip
        self.domain = domain
    }

    public var failing: Int64 { max(0, messages - dmarcPass) }

    /// DKIM signing domains and their results over every From domain. Setting it files every
    /// result under the policy domain as the From domain (the usual case, and the tests').
    public var dkimSignatures: [String: Tally] {
        get { Self.byDomain(dkimResults) }
        set { dkimResults = Self.keyed(newValue, author: domain) }
    }

    /// SPF-checked domains and their results over every From domain; set like `dkimSignatures`.
    public var spfDomains: [String: Tally] {
        get { Self.byDomain(spfResults) }
        set { spfResults = Self.keyed(newValue, author: domain) }
    }

    /// The From domains (header_from) of the source's messages with DKIM or SPF results.
    public var authorDomains: Set<String> {
        Set(dkimResults.keys.map(\.author)).union(spfResults.keys.map(\.author))
    }

    static func byDomain(_ results: [AuthKey: Tally]) -> [String: Tally] {
        var out: [String: Tally] = [:]
        for (k, t) in results { out[k.domain, default: Tally()].add(t) }
        return out
    }

    static func keyed(_ tallies: [String: Tally], author: String) -> [AuthKey: Tally] {
        var out: [AuthKey: Tally] = [:]
        for (d, t) in tallies { out[AuthKey(domain: d, author: author), default: Tally()].add(t) }
        return out
    }

    /// A domain an authentication result is for, and the From domain of the messages it covers:
    /// alignment compares the two.
    public struct AuthKey: Sendable, Hashable {
        /// DKIM `d=` or the SPF-checked envelope domain, lower case.
        public var domain: String
        /// The record's `header_from`, lower case (the policy domain when the report gives none).
        public var author: String

        public init(domain: String, author: String) {
            self.domain = domain
            self.author = author
        }
    }

    /// Messages on which a domain's result passed, failed, or could not be evaluated (a
    /// temporary error: a signature or an SPF record was there, the receiver could not check it).
    public struct Tally: Sendable, Equatable {
        public var pass: Int64 = 0
        /// Every other result: DKIM fail/permerror/neutral; SPF fail/softfail/neutral/none/permerror.
        public var fail: Int64 = 0
        public var temperror: Int64 = 0
        public init(pass: Int64 = 0, fail: Int64 = 0, temperror: Int64 = 0) {
            self.pass = pass
            self.fail = fail
            self.temperror = temperror
        }

        /// Every message with a result for the domain.
        public var total: Int64 { Self.sum(Self.sum(pass, fail), temperror) }

        /// Adds another tally; counts come from reports, so they saturate.
        public mutating func add(_ t: Tally) {
            pass = Self.sum(pass, t.pass)
            fail = Self.sum(fail, t.fail)
            temperror = Self.sum(temperror, t.temperror)
        }

        static func sum(_ a: Int64, _ b: Int64) -> Int64 {
            let (v, overflow) = a.addingReportingOverflow(b)
            return overflow ? Int64.max : v
        }
    }
}

/// A sending service as the classifier needs it (the catalogue itself lives in DMARCEnrich).
public struct ServiceIdentity: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case mailbox, esp, application, forwarder, gateway
        /// An ISP, hosting or other network known only by its reverse DNS (parsedmarc's map): it
        /// names the source, but anyone can rent an address there, so it never vouches for it.
        case network

        /// Services that send for their customers: one of them carrying the domain's own passing
        /// DKIM signature is the domain's account there.
        public var sendsForCustomers: Bool {
            switch self {
            case .mailbox, .esp, .application, .gateway: true
            case .forwarder, .network: false
            }
        }
    }

    public var id: String
    public var name: String
    public var kind: Kind
    /// How to sign with the customer's domain, and how to align the return path.
    public var alignDKIM: String
    public var alignSPF: String

    public init(id: String, name: String, kind: Kind, alignDKIM: String, alignSPF: String) {
        self.id = id
        self.name = name
        self.kind = kind
        self.alignDKIM = alignDKIM
        self.alignSPF = alignSPF
    }
}

/// What an administrator said about a source: it is theirs, or it is not.
public struct SourceDecision: Sendable, Equatable {
    public enum Verdict: String, Sendable, CaseIterable {
        case approved
        case notMine = "not-mine"
    }

    public var verdict: Verdict
    public var by: String
    public var at: Int64
    public var note: String?

    public init(verdict: Verdict, by: String, at: Int64, note: String? = nil) {
        self.verdict = verdict
        self.by = by
        self.at = at
        self.note = note
    }
}
