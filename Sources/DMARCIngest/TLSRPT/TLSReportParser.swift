import DMARCCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads RFC 8460 JSON reports leniently (SPEC §4.4): string or array `mx-host`, missing
/// `policy-string` or `policy-domain`, `contact-info: null`, `additional-information` or
/// `additional-info-uri`, a JSON-encoded array inside a single TLSA policy string. What is
/// required and missing is an error; what is adjusted is a warning.
enum TLSReportParser {
    static func parse(_ bytes: [UInt8]) throws -> TLSReport {
        let json: AnyJSON
        do {
            json = try JSONDecoder().decode(AnyJSON.self, from: Data(bytes))
        } catch {
            throw IngestError("not valid JSON: \(Self.describe(error))")
        }
        guard case .object = json else { throw IngestError("a TLS-RPT report must be a JSON object") }
        guard json["policies"] != nil || json["organization-name"] != nil else {
            throw IngestError("JSON without \"organization-name\" or \"policies\": not a TLS-RPT report")
        }
        var warnings = WarningCollector()
        guard let org = json["organization-name"]?.string, !org.isEmpty else {
            throw IngestError("the TLS-RPT report has no organization-name")
        }
        guard let id = json["report-id"]?.string, !id.isEmpty else {
            throw IngestError("the TLS-RPT report has no report-id")
        }
        guard let startText = json["date-range"]?["start-datetime"]?.string, let start = RFC3339.epoch(startText),
            let endText = json["date-range"]?["end-datetime"]?.string, let end = RFC3339.epoch(endText), end >= start
        else {
            throw IngestError("the TLS-RPT report has no valid date-range (RFC 3339 start-datetime and end-datetime)")
        }
        let contact = json["contact-info"]?.string
        if json["contact-info"] == nil || contact == nil {
            warnings.add(code: "missing-value", "contact-info is missing or null")
        }
        var report = TLSReport(organizationName: org, start: start, end: end, contactInfo: contact, reportID: id)
        var policies: [AnyJSON] = []
        switch json["policies"] {
        case .array(let a)?: policies = a
        case .object?:
            policies = [json["policies"]!]
            warnings.add(code: "value-mapped", "policies is an object, not an array; read as one policy")
        default:
            throw IngestError("the TLS-RPT report has no policies array")
        }
        for entry in policies {
            let p = entry["policy"]
            var result = TLSPolicyResult(policyType: p?["policy-type"]?.string?.lowercased() ?? "")
            if result.policyType.isEmpty {
                warnings.add(code: "missing-value", "a policy has no policy-type")
            } else if !["sts", "tlsa", "no-policy-found"].contains(result.policyType) {
                warnings.add(
                    code: "unknown-value", "unknown policy-type \"\(result.policyType.prefix(64))\" kept as reported")
            }
            result.policyStrings = p?["policy-string"]?.strings ?? []
            if result.policyType == "tlsa", result.policyStrings.count == 1, result.policyStrings[0].hasPrefix("["),
                let inner = try? JSONDecoder().decode([String].self, from: Data(result.policyStrings[0].utf8))
            {
                result.policyStrings = inner
                warnings.add(code: "value-mapped", "a TLSA policy-string holding a JSON array was read as its strings")
            }
            result.policyDomain = p?["policy-domain"]?.string.map(DomainName.normalized)
            result.mxHosts =
                (p?["mx-host"] ?? p?["mx-host-pattern"])?.strings.map { host in
                    host.hasPrefix("mx: ") ? String(host.dropFirst(4)) : host
                } ?? []
            result.successfulSessions = entry["summary"]?["total-successful-session-count"]?.sessionCount ?? 0
            result.failedSessions = entry["summary"]?["total-failure-session-count"]?.sessionCount ?? 0
            if case .array(let details)? = entry["failure-details"] {
                for d in details {
                    var f = TLSFailureDetail(resultType: d["result-type"]?.string?.lowercased() ?? "")
                    if f.resultType.isEmpty {
                        warnings.add(code: "missing-value", "a failure detail has no result-type")
                    }
                    f.sendingMTAIP = d["sending-mta-ip"]?.string
                    f.receivingMXHostname = d["receiving-mx-hostname"]?.string.map(DomainName.normalized)
                    f.receivingMXHelo = d["receiving-mx-helo"]?.string
                    f.receivingIP = d["receiving-ip"]?.string
                    f.failedSessions = d["failed-session-count"]?.sessionCount ?? 0
                    f.additionalInformation = (d["additional-information"] ?? d["additional-info-uri"])?.string
                    f.failureReasonCode = d["failure-reason-code"]?.string
                    result.failures.append(f)
                }
            }
            report.policies.append(result)
        }
        report.warnings = warnings.warnings
        return report
    }

    static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error { return context.debugDescription }
        return "\(error)"
    }
}
