/// An SMTP TLS report (RFC 8460 §4): one reporter's view of TLS to a domain's MX hosts.
public struct TLSReport: Sendable, Equatable {
    public var organizationName: String
    /// Unix seconds (UTC).
    public var start: Int64
    public var end: Int64
    public var contactInfo: String?
    public var reportID: String
    public var policies: [TLSPolicyResult] = []
    /// What the lenient reader changed or could not read.
    public var warnings: [ParseWarning] = []

    public init(organizationName: String, start: Int64, end: Int64, contactInfo: String?, reportID: String) {
        self.organizationName = organizationName
        self.start = start
        self.end = end
        self.contactInfo = contactInfo
        self.reportID = reportID
    }

    /// Reporter + report id + period: a report delivered twice is stored once.
    public var key: String { "\(organizationName.lowercased())|\(reportID)|\(start)|\(end)" }
}

/// The sessions for one policy (`policies[]`).
public struct TLSPolicyResult: Sendable, Equatable {
    /// `sts`, `tlsa` or `no-policy-found` (other values kept as sent).
    public var policyType: String
    public var policyStrings: [String] = []
    public var policyDomain: String?
    public var mxHosts: [String] = []
    public var successfulSessions: Int64 = 0
    public var failedSessions: Int64 = 0
    public var failures: [TLSFailureDetail] = []

    public init(policyType: String) { self.policyType = policyType }
}

/// One `failure-details[]` entry. `resultType` is an open registry (RFC 8460 §6.6): unknown
/// values are kept verbatim.
public struct TLSFailureDetail: Sendable, Equatable {
    public var resultType: String
    public var sendingMTAIP: String?
    public var receivingMXHostname: String?
    public var receivingMXHelo: String?
    public var receivingIP: String?
    public var failedSessions: Int64 = 0
    public var additionalInformation: String?
    public var failureReasonCode: String?

    public init(resultType: String) { self.resultType = resultType }
}
