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
    /// Messages with no DKIM result at all.
    public var unsigned: Int64 = 0
    /// DKIM signing domains (d=, lower case) and the messages whose signature by it passed or failed.
    public var dkimSignatures: [String: Tally] = [:]
    /// SPF-checked domains (envelope From or HELO) and the messages on which SPF passed or not.
    public var spfDomains: [String: Tally] = [:]
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

    public var failing: Int64 { messages - dmarcPass }

    public struct Tally: Sendable, Equatable {
        public var pass: Int64 = 0
        public var fail: Int64 = 0
        public init(pass: Int64 = 0, fail: Int64 = 0) {
            self.pass = pass
            self.fail = fail
        }
    }
}

/// A sending service as the classifier needs it (the catalogue itself lives in DMARCEnrich).
public struct ServiceIdentity: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case mailbox, esp, application, forwarder, gateway
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
