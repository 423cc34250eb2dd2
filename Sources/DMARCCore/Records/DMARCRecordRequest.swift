/// What a user asked `record generate` for, as typed: every value is checked by
/// `DMARCRecordGenerator.generate`.
public struct DMARCRecordRequest: Sendable, Equatable {
    /// The domain the record is for, e.g. `example.com` (A-label form).
    public var domain: String
    /// `p`: `none`, `quarantine` or `reject`.
    public var policy: String
    /// `sp`, if wanted.
    public var subdomainPolicy: String?
    /// `np`, if wanted.
    public var nonexistentPolicy: String?
    /// `adkim`: `r` or `s` (`relaxed` and `strict` are accepted too).
    public var adkim: String?
    /// `aspf`: `r` or `s` (`relaxed` and `strict` are accepted too).
    public var aspf: String?
    /// Aggregate report destinations: `mailto:` or `https:` URIs, or bare addresses.
    public var rua: [String]
    /// Failure report destinations, like `rua`.
    public var ruf: [String]
    /// `fo`, e.g. `1` or `1:d`.
    public var failureOptions: String?
    /// Adds `t=y` (test mode).
    public var testing: Bool
    /// Adds the legacy RFC 7489 `pct` (0–100) for receivers that still use it.
    public var legacyPct: Int?

    /// Makes a request; only the domain and policy are required.
    public init(
        domain: String, policy: String, subdomainPolicy: String? = nil, nonexistentPolicy: String? = nil,
        adkim: String? = nil, aspf: String? = nil, rua: [String] = [], ruf: [String] = [],
        failureOptions: String? = nil, testing: Bool = false, legacyPct: Int? = nil
    ) {
        self.domain = domain
        self.policy = policy
        self.subdomainPolicy = subdomainPolicy
        self.nonexistentPolicy = nonexistentPolicy
        self.adkim = adkim
        self.aspf = aspf
        self.rua = rua
        self.ruf = ruf
        self.failureOptions = failureOptions
        self.testing = testing
        self.legacyPct = legacyPct
    }
}
