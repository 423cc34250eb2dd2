/// The shape an aggregate report was written in, as detected by the parser (SPEC §2.7).
public enum ReportFlavour: String, Sendable, Codable {
    /// RFC 7489 Appendix C, with no namespace or the old `dmarc.org/dmarc-xml/0.1` one.
    case rfc7489
    /// RFC 9990 in the `urn:ietf:params:xml:ns:dmarc-2.0` namespace.
    case rfc9990
    /// RFC 9990 elements without the namespace.
    case rfc9990NoNamespace = "rfc9990-no-namespace"
    /// The pre-RFC dmarc.org draft (`identities` instead of `identifiers`).
    case draft
}

/// `report_metadata`: who sent the report and which period it covers.
public struct ReportMetadata: Sendable, Equatable {
    public var orgName: String?
    public var email: String?
    public var extraContactInfo: String?
    public var reportID: String?
    /// Unix seconds (UTC) as reported.
    public var begin: Int64?
    /// Unix seconds (UTC) as reported.
    public var end: Int64?
    public var errors: [String] = []
    public var generator: String?

    public init() {}

    /// The reporter as used in the report key: the organisation name, else the domain of the
    /// contact address, lower-cased and trimmed.
    public var reporterKey: String {
        if let name = orgName?.trimmedASCII, !name.isEmpty { return name.lowercased() }
        return emailDomain ?? ""
    }

    /// The domain part of `email`, lower-cased, if there is one.
    public var emailDomain: String? {
        guard let email, let at = email.lastIndex(of: "@") else { return nil }
        let domain = email[email.index(after: at)...].trimmedASCII.lowercased()
        let cleaned = domain.filter { $0 != ">" && $0 != "<" }
        return cleaned.isEmpty ? nil : cleaned
    }

    /// The organisation name to show: the reported one, else the contact address's domain.
    public var displayReporter: String {
        if let name = orgName?.trimmedASCII, !name.isEmpty { return name }
        return emailDomain ?? "(unknown reporter)"
    }
}

/// `policy_published`: the DMARC record the reporter found. Values are normalised; `nil` means
/// absent from the report.
public struct PolicyPublished: Sendable, Equatable {
    public var domain: String?
    public var p: String?
    public var sp: String?
    public var np: String?
    /// Legacy RFC 7489 `pct`; kept absent rather than assumed 100.
    public var pct: Int?
    public var adkim: String?
    public var aspf: String?
    public var fo: String?
    public var testing: String?
    public var discoveryMethod: String?
    public var psd: String?

    public init() {}
}

/// Everything in an aggregate report except its records, which the parser streams.
public struct AggregateReportHeader: Sendable, Equatable {
    public var metadata = ReportMetadata()
    public var policy = PolicyPublished()
    public var flavour: ReportFlavour = .rfc7489
    /// The root element's namespace URI, if any.
    public var namespace: String?
    public var version: String?
    public var warnings: [ParseWarning] = []

    public init() {}

    /// The identity used to recognise the same report delivered twice (DESIGN §2).
    public var key: ReportKey {
        ReportKey(
            reporter: metadata.reporterKey,
            domain: policy.domain ?? "",
            reportID: metadata.reportID ?? "",
            begin: metadata.begin ?? 0,
            end: metadata.end ?? 0
        )
    }
}

/// Normalised reporter + policy domain + report_id + begin + end.
public struct ReportKey: Sendable, Hashable, CustomStringConvertible {
    public var reporter: String
    public var domain: String
    public var reportID: String
    public var begin: Int64
    public var end: Int64

    public init(reporter: String, domain: String, reportID: String, begin: Int64, end: Int64) {
        self.reporter = reporter
        self.domain = domain
        self.reportID = reportID
        self.begin = begin
        self.end = end
    }

    public var description: String { "\(reporter)|\(domain)|\(reportID)|\(begin)|\(end)" }
}

extension StringProtocol {
    /// The string without leading and trailing ASCII white space (space, tab, CR, LF).
    public var trimmedASCII: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement` (FoundationEssentials has no such call).
    public func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var out = ""
        var rest = self[...]
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
