/// An MTA-STS policy file (`https://mta-sts.<domain>/.well-known/mta-sts.txt`), RFC 8461 §3.2:
///
/// ```
/// version: STSv1
/// mode: enforce
/// mx: mail.example.com
/// mx: *.example.net
/// max_age: 604800
/// ```
///
/// Lines end in CRLF or LF. Keys are case-sensitive; unknown keys are ignored; for a repeated
/// key other than `mx` the first value wins.
public struct MTASTSPolicy: Sendable, Equatable {
    /// `mode`: what senders do when a receiving server fails the policy.
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// Do not deliver to servers that fail.
        case enforce
        /// Deliver anyway and report failures (TLS-RPT).
        case testing
        /// Treat the domain as having no policy; used to withdraw MTA-STS.
        case none
    }

    /// The largest `max_age` allowed: 31557600 seconds, about a year.
    public static let maximumMaxAge = 31_557_600
    /// Below this `max_age` (a day), senders refetch often and an attacker who blocks the fetch
    /// soon strips the policy.
    public static let recommendedMinimumMaxAge = 86_400

    /// `mode`, or `nil` when missing or invalid.
    public var mode: Mode?
    /// `max_age` in seconds, or `nil` when missing or invalid.
    public var maxAge: Int?
    /// `mx` patterns in order, lower-cased: host names, or `*.` and a suffix.
    public var mx: [String]
    /// Keys the RFC does not define, kept as written.
    public var unknownKeys: [RecordTag]

    /// Makes a policy.
    public init(mode: Mode?, maxAge: Int?, mx: [String], unknownKeys: [RecordTag] = []) {
        self.mode = mode
        self.maxAge = maxAge
        self.mx = mx
        self.unknownKeys = unknownKeys
    }

    /// Whether `mxHost` (an MX target) matches one of the `mx` patterns (RFC 8461 §4.1): equal,
    /// ignoring case and a trailing dot, or, for `*.suffix`, exactly one label before `suffix`.
    public func matches(mxHost: String) -> Bool {
        let host = DomainName.normalized(mxHost)
        guard !host.isEmpty else { return false }
        return mx.contains { pattern in
            let p = DomainName.normalized(pattern)
            if p.hasPrefix("*.") {
                let suffix = p.dropFirst(2)
                guard host.hasSuffix("." + suffix) else { return false }
                let label = host.dropLast(suffix.count + 1)
                return !label.isEmpty && !label.contains(".")
            }
            return host == p
        }
    }

    /// The canonical file text, lines ending in CRLF as RFC 8461 §3.2 specifies.
    public func render() -> String {
        var lines = ["version: STSv1"]
        if let mode { lines.append("mode: \(mode.rawValue)") }
        lines += mx.map { "mx: \($0)" }
        if let maxAge { lines.append("max_age: \(maxAge)") }
        return lines.map { $0 + "\r\n" }.joined()
    }

    /// Parses a policy file and checks it.
    ///
    /// `policy` is `nil` when the text has no `version: STSv1` line (it is not a policy file,
    /// say an HTML error page). Otherwise missing or invalid fields are error findings, and
    /// senders treat a policy with errors as no policy.
    public static func parse(_ text: String) -> (policy: MTASTSPolicy?, findings: [RecordFinding]) {
        var findings: [RecordFinding] = []
        func add(_ severity: FindingSeverity, _ code: String, _ message: String, fix: String) {
            findings.append(RecordFinding(severity, code, message, fix: fix))
        }
        // RFC 8461 §3.3 suggests senders read at most 64 KB.
        let body = String(decoding: text.utf8.prefix(65_536), as: UTF8.self)
        var values: [String: String] = [:]
        var policy = MTASTSPolicy(mode: nil, maxAge: nil, mx: [])
        var reportedDuplicates: Set<String> = []
        // "\r\n" is one Character in Swift, so both line ends are matched as characters.
        let lines = body.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (number, rawLine) in lines.enumerated() {
            var line = rawLine
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.trimmedASCII.isEmpty { continue }
            guard let colon = line.firstIndex(of: ":"), isKey(line[..<colon]) else {
                add(
                    .error, "mtasts-policy-syntax",
                    "Line \(number + 1), \"\(line.prefix(80))\", is not a key: value line.",
                    fix: "Write each line as key: value (version, mode, mx, max_age).")
                continue
            }
            let key = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmedASCII
            if key == "mx" {
                let pattern = value.lowercased()
                if isMXPattern(pattern) {
                    policy.mx.append(DomainName.normalized(pattern))
                } else {
                    add(
                        .error, "mtasts-policy-invalid-mx",
                        "mx: \(value) is not a host name or a *.suffix pattern; it matches no server.",
                        fix: "Write the MX host name, e.g. mx: mail.example.com, or mx: *.example.com for any "
                            + "single label under example.com.")
                }
            } else if ["version", "mode", "max_age"].contains(key) {
                if values[key] == nil {
                    values[key] = value
                } else if reportedDuplicates.insert(key).inserted {
                    add(
                        .warning, "mtasts-policy-duplicate-key",
                        "\(key) appears more than once; senders use the first (\(values[key] ?? "")).",
                        fix: "Keep one \(key) line.")
                }
            } else {
                policy.unknownKeys.append(RecordTag(name: key, value: value))
            }
        }

        guard let version = values["version"] else {
            add(
                .error, "mtasts-policy-missing-version",
                "The file has no \"version: STSv1\" line, so it is not an MTA-STS policy.",
                fix: "Serve a policy file starting with version: STSv1.")
            return (nil, findings)
        }
        guard version == "STSv1" else {
            add(
                .error, "mtasts-policy-invalid-version",
                "version: \(version) is not STSv1, so senders ignore the policy.",
                fix: "Write version: STSv1.")
            return (nil, findings)
        }

        if let value = values["mode"] {
            if let mode = Mode(rawValue: value) {
                policy.mode = mode
            } else {
                add(
                    .error, "mtasts-policy-invalid-mode",
                    "mode: \(value) is not enforce, testing or none, so senders ignore the policy.",
                    fix: "Write mode: testing while you check TLS reports, then mode: enforce.")
            }
        } else {
            add(
                .error, "mtasts-policy-missing-mode", "The policy has no mode line, so senders ignore it.",
                fix: "Add mode: testing or mode: enforce.")
        }

        if let value = values["max_age"] {
            if (1...10).contains(value.count), value.allSatisfy({ $0.isASCII && $0.isNumber }),
                let seconds = Int(value),
                seconds <= maximumMaxAge
            {
                policy.maxAge = seconds
            } else {
                add(
                    .error, "mtasts-policy-invalid-max-age",
                    "max_age: \(value) is not a number of seconds from 0 to \(maximumMaxAge), so senders ignore "
                        + "the policy.",
                    fix: "Write max_age: 604800 (a week) or up to \(maximumMaxAge) (a year).")
            }
        } else {
            add(
                .error, "mtasts-policy-missing-max-age", "The policy has no max_age line, so senders ignore it.",
                fix: "Add max_age: 604800 (a week) or longer.")
        }

        switch policy.mode {
        case .some(.testing):
            add(
                .info, "mtasts-policy-testing",
                "mode: testing: senders report TLS failures but still deliver, so the policy does not yet "
                    + "protect mail.",
                fix: "When TLS reports show no failures, switch to mode: enforce.")
        case .some(.none):
            add(
                .warning, "mtasts-policy-mode-none",
                "mode: none withdraws MTA-STS: senders treat the domain as having no policy.",
                fix: "If that is not the intent, set mode: testing or mode: enforce.")
        case .some(.enforce), nil:
            break
        }
        if let maxAge = policy.maxAge, maxAge < recommendedMinimumMaxAge {
            add(
                .warning, "mtasts-policy-short-max-age",
                "max_age is \(maxAge) seconds, under a day: senders forget the policy quickly, so an attacker who "
                    + "blocks the policy fetch can soon downgrade delivery to unencrypted.",
                fix: "Use max_age: 604800 (a week) or more once the policy is stable.")
        }
        if policy.mx.isEmpty, policy.mode != MTASTSPolicy.Mode.none {
            add(
                .error, "mtasts-policy-no-mx",
                "The policy lists no mx lines, so no mail server matches it and enforcing senders cannot deliver.",
                fix: "Add an mx: line for every MX host of the domain.")
        }
        return (policy, findings)
    }

    /// `1*32(ALPHA / DIGIT / "_" / "-" / ".")`.
    static func isKey(_ key: Substring) -> Bool {
        !key.isEmpty && key.count <= 32
            && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
    }

    /// A host name, or `*.` followed by one (RFC 8461 §3.2).
    static func isMXPattern(_ pattern: String) -> Bool {
        if pattern.hasPrefix("*.") { return DomainName.isValidHostName(String(pattern.dropFirst(2))) }
        return DomainName.isValidHostName(pattern)
    }
}
