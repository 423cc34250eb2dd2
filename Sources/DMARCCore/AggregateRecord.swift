/// One `<record>` of an aggregate report: a source IP, a message count, what the receiver did,
/// and the authentication results behind it.
public struct AggregateRecord: Sendable, Equatable {
    /// Canonical text form of the source address (RFC 5952 for IPv6).
    public var sourceIP: String = ""
    /// The parsed address, when the parser has it (saves parsing `sourceIP` again to store it).
    public var sourceAddress: IPAddress?
    public var count: Int64 = 0
    public var disposition: String?
    /// Policy-evaluated (aligned) DKIM result: `pass` or `fail`.
    public var dkim: String?
    /// Policy-evaluated (aligned) SPF result: `pass` or `fail`.
    public var spf: String?
    public var reasons: [PolicyOverrideReason] = []
    public var headerFrom: String?
    /// `""` means present but empty (a null reverse-path); `nil` means absent.
    public var envelopeFrom: String?
    public var envelopeTo: String?
    public var dkimResults: [DKIMAuthResult] = []
    public var spfResults: [SPFAuthResult] = []

    public init() {}

    public var dkimAligned: Bool { dkim == "pass" }
    public var spfAligned: Bool { spf == "pass" }
    /// DMARC passes when either policy-evaluated result passes.
    public var dmarcPass: Bool { dkimAligned || spfAligned }
}

/// `policy_evaluated/reason`.
public struct PolicyOverrideReason: Sendable, Equatable {
    public var type: String
    public var comment: String?

    public init(type: String, comment: String? = nil) {
        self.type = type
        self.comment = comment
    }
}

/// `auth_results/dkim`.
public struct DKIMAuthResult: Sendable, Equatable {
    public var domain: String?
    public var selector: String?
    public var result: String?
    public var humanResult: String?

    public init(domain: String? = nil, selector: String? = nil, result: String? = nil, humanResult: String? = nil) {
        self.domain = domain
        self.selector = selector
        self.result = result
        self.humanResult = humanResult
    }
}

/// `auth_results/spf`.
public struct SPFAuthResult: Sendable, Equatable {
    public var domain: String?
    public var scope: String?
    public var result: String?
    public var humanResult: String?

    public init(domain: String? = nil, scope: String? = nil, result: String? = nil, humanResult: String? = nil) {
        self.domain = domain
        self.scope = scope
        self.result = result
        self.humanResult = humanResult
    }
}
