/// Why `DMARCRecordGenerator.generate` refused a request.
public enum DMARCRecordGeneratorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The domain is not a valid host name in A-label form.
    case invalidDomain(String)
    /// A policy tag (`p`, `sp`, `np`) has a value other than none, quarantine or reject.
    case unknownPolicy(tag: String, value: String)
    /// `adkim` or `aspf` is not r or s.
    case invalidAlignment(tag: String, value: String)
    /// A `rua` or `ruf` entry is neither a usable mailto:/https: URI nor an address.
    case invalidReportDestination(tag: String, value: String, reason: String)
    /// `legacyPct` is outside 0–100.
    case invalidPercent(Int)
    /// `fo` is not a valid list of 0, 1, d and s.
    case invalidFailureOptions(value: String, reason: String)
    /// The generated record did not parse back cleanly; a bug, reported rather than published.
    case internalInconsistency(String)

    /// What is wrong and what to do, with a code and arguments for a UI in another language
    /// (`reason` arguments stay in English).
    public var explanation: Explanation {
        switch self {
        case .invalidDomain(let d): Explanation("gen.error.domain", [d], description)
        case .unknownPolicy(let tag, let value): Explanation("gen.error.policy", [tag, value], description)
        case .invalidAlignment(let tag, let value): Explanation("gen.error.alignment", [tag, value], description)
        case .invalidReportDestination(let tag, let value, let reason):
            Explanation("gen.error.destination", [tag, value, reason], description)
        case .invalidPercent(let n): Explanation("gen.error.pct", [String(n)], description)
        case .invalidFailureOptions(let value, let reason): Explanation("gen.error.fo", [value, reason], description)
        case .internalInconsistency(let detail): Explanation("gen.error.internal", [detail], description)
        }
    }

    /// What is wrong and what to do.
    public var description: String {
        switch self {
        case .invalidDomain(let d):
            "\"\(d)\" is not a valid domain name: use letters, digits and hyphens in dot-separated labels, "
                + "like example.com (convert internationalised names to their xn-- form)."
        case .unknownPolicy(let tag, let value):
            "\(tag) \"\(value)\" is not a DMARC policy: use none, quarantine or reject."
        case .invalidAlignment(let tag, let value):
            "\(tag) \"\(value)\" is not an alignment mode: use r (relaxed) or s (strict)."
        case .invalidReportDestination(let tag, let value, let reason):
            "\(tag) \"\(value)\" is not a report destination: \(reason). Give an address such as "
                + "dmarc@example.com or a mailto: or https: URI."
        case .invalidPercent(let n):
            "pct \(n) is outside 0–100."
        case .invalidFailureOptions(let value, let reason):
            "fo \"\(value)\" is not valid: \(reason). Use 0, 1, d and s separated by colons, "
                + "with at most one of 0 and 1, e.g. 1 or 1:d."
        case .internalInconsistency(let detail):
            "The generated record did not validate (\(detail)); this is a bug in DMARCWatch."
        }
    }
}

/// Builds a DMARC record from a few choices, explains each tag, and lists the `_report._dmarc`
/// records that external report destinations must publish.
public enum DMARCRecordGenerator {
    /// Checks the request and generates the record. Bare addresses in `rua`/`ruf` get `mailto:`.
    ///
    /// "Outside the organisation" uses `DomainName.roughlySameOrganization`, a rule without the
    /// Public Suffix List (see there); the resolver-side check uses libpsl.
    ///
    /// - Throws: `DMARCRecordGeneratorError` naming the first invalid input.
    public static func generate(_ request: DMARCRecordRequest) throws(DMARCRecordGeneratorError)
        -> GeneratedDMARCRecord
    {
        let domain = DomainName.normalized(request.domain.trimmedASCII)
        guard DomainName.isValidHostName(domain) else { throw .invalidDomain(request.domain) }

        var record = DMARCRecord(p: try policy(request.policy, tag: "p"))
        var notes: [Explanation] = []
        let p = record.p ?? DMARCPolicy.none
        notes.append(Explanation("gen.p.\(p.rawValue)", [], "p=\(p.rawValue): \(p.effect)"))

        if let value = request.subdomainPolicy {
            let sp = try policy(value, tag: "sp")
            record.sp = sp
            notes.append(Explanation("gen.sp.\(sp.rawValue)", [], "sp=\(sp.rawValue): for subdomains, \(sp.effect)"))
        }
        if let value = request.nonexistentPolicy {
            let np = try policy(value, tag: "np")
            record.np = np
            notes.append(
                Explanation(
                    "gen.np.\(np.rawValue)", [],
                    "np=\(np.rawValue): for subdomains that do not exist in DNS, \(np.effect)"))
        }
        if let value = request.adkim {
            let mode = try alignment(value, tag: "adkim")
            record.adkim = mode
            notes.append(
                mode == .strict
                    ? Explanation("gen.adkim.s", [], "adkim=s: the DKIM signing domain must be exactly the From domain")
                    : Explanation(
                        "gen.adkim.r", [],
                        "adkim=r: a DKIM signature from any domain of the same organisation counts (the default)"))
        }
        if let value = request.aspf {
            let mode = try alignment(value, tag: "aspf")
            record.aspf = mode
            notes.append(
                mode == .strict
                    ? Explanation(
                        "gen.aspf.s", [], "aspf=s: the SPF-checked envelope domain must be exactly the From domain")
                    : Explanation(
                        "gen.aspf.r", [],
                        "aspf=r: an SPF pass for any domain of the same organisation counts (the default)"))
        }
        if request.testing {
            record.t = true
            notes.append(
                Explanation(
                    "gen.t", [],
                    "t=y: test mode, receivers apply one level less than p (reject becomes quarantine, "
                        + "quarantine becomes none)"))
        }

        for value in request.rua { record.rua.append(try destination(value, tag: "rua")) }
        if record.rua.isEmpty {
            notes.append(Explanation("gen.no-rua", [], "no rua: receivers will send no aggregate reports"))
        } else {
            let list = record.rua.map(\.description).joined(separator: ", ")
            notes.append(Explanation("gen.rua", [list], "rua=\(list): daily aggregate reports go there"))
        }
        for value in request.ruf { record.ruf.append(try destination(value, tag: "ruf")) }
        if !record.ruf.isEmpty {
            let list = record.ruf.map(\.description).joined(separator: ", ")
            notes.append(
                Explanation(
                    "gen.ruf", [list],
                    "ruf=\(list): failure reports go there; most receivers never send them, "
                        + "and those that do include personal data"))
        }

        if let value = request.failureOptions {
            let options = try failureOptions(value)
            record.fo = options
            let text = options.map(\.rawValue).joined(separator: ":")
            notes.append(
                record.ruf.isEmpty
                    ? Explanation("gen.fo.no-ruf", [text], "fo=\(text): has no effect without ruf")
                    : Explanation("gen.fo", [text], "fo=\(text): " + options.map(describe).joined(separator: "; ")))
        }
        if let pct = request.legacyPct {
            guard (0...100).contains(pct) else { throw .invalidPercent(pct) }
            record.pct = pct
            notes.append(
                Explanation(
                    "gen.pct", [String(pct)],
                    "pct=\(pct): only RFC 7489 receivers apply the policy to \(pct)% of failing mail; "
                        + "RFC 9989 removed pct (t=y replaces pct=0)"))
        }

        let value = record.render()
        let check = DMARCRecord.parse(value)
        if let error = check.findings.first(where: { $0.severity == .error }) {
            throw .internalInconsistency(error.message)
        }

        var authorizations: [TXTRecord] = []
        for uri in record.rua + record.ruf where uri.isMailto {
            guard let host = uri.host, !DomainName.roughlySameOrganization(host, domain) else { continue }
            let auth = TXTRecord(name: "\(domain)._report._dmarc.\(host)", value: "v=DMARC1;")
            guard !authorizations.contains(auth) else { continue }
            authorizations.append(auth)
            notes.append(
                Explanation(
                    "gen.outside", [host, domain, auth.name],
                    "\(host) is outside \(domain): it must publish TXT \(auth.name) \"v=DMARC1;\", "
                        + "or receivers drop the reports"))
        }
        return GeneratedDMARCRecord(
            name: "_dmarc.\(domain)", value: value, notes: notes, authorizationRecords: authorizations)
    }

    static func policy(_ value: String, tag: String) throws(DMARCRecordGeneratorError) -> DMARCPolicy {
        guard let policy = DMARCPolicy(value: value.trimmedASCII) else {
            throw .unknownPolicy(tag: tag, value: value)
        }
        return policy
    }

    static func alignment(_ value: String, tag: String) throws(DMARCRecordGeneratorError)
        -> DMARCRecord.AlignmentMode
    {
        switch value.trimmedASCII.lowercased() {
        case "r", "relaxed": return .relaxed
        case "s", "strict": return .strict
        default: throw .invalidAlignment(tag: tag, value: value)
        }
    }

    /// A URI, or a bare address that gets `mailto:`; only mailto and https are offered, since they
    /// are the schemes reports are actually sent to.
    static func destination(_ value: String, tag: String) throws(DMARCRecordGeneratorError) -> ReportURI {
        var text = value.trimmedASCII
        let lower = text.lowercased()
        if !lower.hasPrefix("mailto:"), !lower.hasPrefix("https:") {
            guard !lower.contains(":") else {
                throw .invalidReportDestination(tag: tag, value: value, reason: "only mailto: and https: are accepted")
            }
            text = "mailto:" + text
        }
        switch ReportURI.parse(text, allowingSizeLimit: false) {
        case .success(let uri): return uri
        case .failure(let problem):
            throw .invalidReportDestination(tag: tag, value: value, reason: problem.description)
        }
    }

    static func failureOptions(_ value: String) throws(DMARCRecordGeneratorError) -> [DMARCRecord.FailureOption] {
        var options: [DMARCRecord.FailureOption] = []
        for part in value.split(separator: ":", omittingEmptySubsequences: false) {
            let item = part.trimmedASCII.lowercased()
            guard let option = DMARCRecord.FailureOption(rawValue: item) else {
                throw .invalidFailureOptions(value: value, reason: "\"\(item)\" is not one of 0, 1, d, s")
            }
            guard !options.contains(option) else {
                throw .invalidFailureOptions(value: value, reason: "\"\(item)\" appears twice")
            }
            options.append(option)
        }
        if options.contains(.allFail), options.contains(.anyFail) {
            throw .invalidFailureOptions(value: value, reason: "0 and 1 cannot be used together")
        }
        return options
    }

    static func describe(_ option: DMARCRecord.FailureOption) -> String {
        switch option {
        case .allFail: "report when both SPF and DKIM fail to give an aligned pass"
        case .anyFail: "report when either SPF or DKIM fails to give an aligned pass"
        case .dkim: "report every failed DKIM signature"
        case .spf: "report every SPF failure"
        }
    }
}
