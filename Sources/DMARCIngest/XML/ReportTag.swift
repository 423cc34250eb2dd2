/// The element names of aggregate reports (RFC 7489, RFC 9990 and the old draft), matched by
/// local name in any namespace.
enum ReportTag: UInt8 {
    case feedback, version, reportMetadata, orgName, email, extraContactInfo, reportID, dateRange, begin, end
    case error, generator, policyPublished, domain, p, sp, np, pct, adkim, aspf, fo, testing, discoveryMethod, psd
    case record, row, sourceIP, count, policyEvaluated, disposition, dkim, spf, reason, type, comment
    case identifiers, identities, headerFrom, envelopeFrom, envelopeTo, authResults, selector, result, humanResult
    case scope, extensionElement, other

    static let byName: [String: ReportTag] = [
        "feedback": .feedback, "version": .version, "report_metadata": .reportMetadata, "org_name": .orgName,
        "email": .email, "extra_contact_info": .extraContactInfo, "report_id": .reportID,
        "date_range": .dateRange, "begin": .begin, "end": .end, "error": .error, "generator": .generator,
        "policy_published": .policyPublished, "domain": .domain, "p": .p, "sp": .sp, "np": .np, "pct": .pct,
        "adkim": .adkim, "aspf": .aspf, "fo": .fo, "testing": .testing, "discovery_method": .discoveryMethod,
        "psd": .psd, "record": .record, "row": .row, "source_ip": .sourceIP, "count": .count,
        "policy_evaluated": .policyEvaluated, "disposition": .disposition, "dkim": .dkim, "spf": .spf,
        "reason": .reason, "type": .type, "comment": .comment, "identifiers": .identifiers,
        "identities": .identities, "header_from": .headerFrom, "envelope_from": .envelopeFrom,
        "envelope_to": .envelopeTo, "auth_results": .authResults, "selector": .selector, "result": .result,
        "human_result": .humanResult, "scope": .scope, "extension": .extensionElement,
    ]

    /// Elements whose text is a value (used by the repair pass to escape stray markup).
    static let leafNames: [String] = [
        "org_name", "email", "extra_contact_info", "report_id", "begin", "end", "error", "generator", "domain",
        "p", "sp", "np", "pct", "adkim", "aspf", "fo", "testing", "discovery_method", "psd", "source_ip", "count",
        "disposition", "type", "comment", "header_from", "envelope_from", "envelope_to",
        "selector", "result", "human_result", "scope", "version",
    ]
}
