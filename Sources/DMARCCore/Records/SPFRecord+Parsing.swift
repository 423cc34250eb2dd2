extension SPFRecord {
    /// Above this many bytes a record is getting close to the 512-byte UDP answer limit.
    public static let sizeWarningBytes = 450
    /// Above this many bytes the answer is likely to need TCP, which some receivers do not try.
    public static let sizeErrorBytes = 512

    /// Finding codes that make the record a `permerror` for receivers (syntax problems), as
    /// opposed to advice about a valid record.
    public static let syntaxErrorCodes: Set<String> = [
        "spf-syntax", "spf-unknown-mechanism", "spf-invalid-ip", "spf-invalid-cidr", "spf-invalid-domain",
        "spf-invalid-macro", "spf-duplicate-modifier", "spf-glued-all",
    ]

    /// Parses an SPF record and checks what needs no DNS (SPEC §5.1).
    ///
    /// Returns `(nil, [])` when the text is not an SPF record (see `isSPF`), so callers can run
    /// every TXT string of a domain through it. Otherwise the record holds the terms that parsed
    /// and the findings say what is wrong with the rest and how strong the policy is.
    public static func parse(_ text: String) -> (record: SPFRecord?, findings: [RecordFinding]) {
        guard isSPF(text) else { return (nil, []) }
        var parser = SPFRecordParser()
        let record = parser.parse(text)
        return (record, parser.findings)
    }
}

/// The state of one `SPFRecord.parse` call.
private struct SPFRecordParser {
    var findings: [RecordFinding] = []

    mutating func parse(_ text: String) -> SPFRecord {
        let size = text.utf8.count
        if size > SPFRecord.sizeErrorBytes {
            add(
                .error, "spf-record-too-long",
                "The record is \(size) bytes; answers over 512 bytes are likely to fail over UDP, and some "
                    + "receivers then treat SPF as failed.",
                fix: "Shorten it: replace lists of ip4/ip6 with an include of a separate record, and remove "
                    + "mechanisms for senders you no longer use.")
        } else if size > SPFRecord.sizeWarningBytes {
            add(
                .warning, "spf-record-long",
                "The record is \(size) bytes, close to the 512-byte limit of a DNS answer over UDP.",
                fix: "Keep it short: move ip4/ip6 lists into an included record.")
        }

        var terms: [SPFTerm] = []
        var seenModifiers: Set<String> = []
        let body = text.utf8.count > TagListSplitter.maximumLength ? "" : String(text.dropFirst(6))
        for raw in body.split(separator: " ") {
            let term = String(raw)
            if isModifier(term) {
                guard let modifier = parseModifier(term), case .modifier(let name, _) = modifier else { continue }
                if name == "redirect" || name == "exp" {
                    guard seenModifiers.insert(name).inserted else {
                        add(
                            .error, "spf-duplicate-modifier",
                            "\(name)= appears more than once; that is a permanent error (permerror).",
                            fix: "Keep one \(name)= and remove the others.")
                        continue
                    }
                }
                terms.append(modifier)
            } else if let mechanism = parseMechanism(term) {
                terms.append(.mechanism(mechanism))
            }
        }
        let record = SPFRecord(text: text, terms: terms)
        checkPolicy(record)
        return record
    }

    /// Whether the term has the shape of a modifier, `name=value`, rather than a mechanism.
    func isModifier(_ term: String) -> Bool {
        guard let eq = term.firstIndex(of: "=") else { return false }
        let name = term[..<eq]
        guard let first = name.first, first.isASCII, first.isLetter else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    /// Parses a `name=value` term; returns `nil` (after reporting why) when it is invalid.
    mutating func parseModifier(_ term: String) -> SPFTerm? {
        guard let eq = term.firstIndex(of: "=") else { return nil }
        let name = term[..<eq]
        let value = String(term[term.index(after: eq)...])
        let lower = name.lowercased()
        if lower == "redirect" || lower == "exp" {
            guard checkDomainSpec(value, in: term) else { return nil }
            return .modifier(name: lower, value: value)
        }
        if case .macro(let why) = SPFDomainSpec.problem(in: value.isEmpty ? "x.invalid" : value) {
            add(
                .error, "spf-invalid-macro", "In \"\(term)\": \(why). That is a permanent error (permerror).",
                fix: "Correct the macro, or write a literal % as %%.")
            return nil
        }
        add(
            .info, "spf-unknown-modifier", "The modifier \(name)= is not defined by SPF; receivers ignore it.",
            fix: "Check the spelling (redirect= and exp= are the defined ones) or remove it.")
        return .modifier(name: String(name), value: value)
    }

    mutating func parseMechanism(_ term: String) -> SPFMechanism? {
        if isGluedAll(term) {
            add(
                .error, "spf-glued-all",
                "\"\(term)\" runs the final all into the previous term without a space; receivers see one "
                    + "broken term (permerror) and no all.",
                fix: "Put a space before the all, e.g. \"\(term.dropLast(4)) \(term.suffix(4))\".")
            return nil
        }
        var rest = Substring(term)
        var qualifier = SPFQualifier.pass
        if let first = rest.first, let q = SPFQualifier(rawValue: String(first)) {
            qualifier = q
            rest = rest.dropFirst()
        }
        let nameEnd = rest.firstIndex { $0 == ":" || $0 == "/" } ?? rest.endIndex
        let name = rest[..<nameEnd].lowercased()
        let argument = rest[nameEnd...]
        guard let kind = SPFMechanism.Kind(rawValue: name) else {
            add(
                .error, "spf-unknown-mechanism",
                "\"\(term)\" is not an SPF mechanism; receivers stop with a permanent error (permerror).",
                fix: "Use one of all, include, a, mx, ptr, ip4, ip6 and exists, or name=value for a modifier; "
                    + "check for typos such as \"ipv4:\" or \"inlcude:\".")
            return nil
        }
        var mechanism = SPFMechanism(kind, qualifier: qualifier)
        switch kind {
        case .all:
            guard argument.isEmpty else { return syntax(term, "all takes no argument") }
        case .include, .exists:
            guard argument.hasPrefix(":"), argument.count > 1 else {
                return syntax(term, "\(name) needs a domain, as in \(name):example.com")
            }
            let spec = String(argument.dropFirst())
            guard checkDomainSpec(spec, in: term) else { return nil }
            mechanism.domainSpec = spec
        case .ptr:
            if !argument.isEmpty {
                guard argument.hasPrefix(":"), argument.count > 1 else {
                    return syntax(term, "ptr takes an optional :domain and nothing else")
                }
                let spec = String(argument.dropFirst())
                guard checkDomainSpec(spec, in: term) else { return nil }
                mechanism.domainSpec = spec
            }
        case .a, .mx:
            var spec = argument
            if spec.hasPrefix(":") {
                spec = spec.dropFirst()
                guard !spec.isEmpty else { return syntax(term, "\(name): needs a domain after the colon") }
            } else if !spec.isEmpty, !spec.hasPrefix("/") {
                return syntax(term, "\(name) takes an optional :domain and /prefix lengths")
            }
            let (domain, ip4, ip6) = splitDualCIDR(spec)
            if let ip4 {
                guard let length = prefixLength(ip4, maximum: 32) else { return invalidCIDR(term, maximum: 32) }
                mechanism.ip4PrefixLength = length
            }
            if let ip6 {
                guard let length = prefixLength(ip6, maximum: 128) else { return invalidCIDR(term, maximum: 128) }
                mechanism.ip6PrefixLength = length
            }
            if !domain.isEmpty {
                guard checkDomainSpec(String(domain), in: term) else { return nil }
                mechanism.domainSpec = String(domain)
            }
        case .ip4, .ip6:
            guard argument.hasPrefix(":"), argument.count > 1 else {
                return syntax(
                    term, "\(name) needs an address, as in \(kind == .ip4 ? "ip4:192.0.2.0/24" : "ip6:2001:db8::/32")")
            }
            var address = argument.dropFirst()
            let maximum = kind == .ip4 ? 32 : 128
            if let slash = address.lastIndex(of: "/") {
                guard let length = prefixLength(address[address.index(after: slash)...], maximum: maximum) else {
                    return invalidCIDR(term, maximum: maximum)
                }
                address = address[..<slash]
                if kind == .ip4 { mechanism.ip4PrefixLength = length } else { mechanism.ip6PrefixLength = length }
            }
            let text = String(address)
            let valid =
                kind == .ip4
                ? !text.contains(":") && IPAddress(text)?.isIPv4 == true && text == text.trimmedASCII
                : text.contains(":") && !text.contains("[") && text == text.trimmedASCII && IPAddress(text) != nil
            guard valid else {
                add(
                    .error, "spf-invalid-ip",
                    "\"\(text)\" in \"\(term)\" is not a valid \(kind == .ip4 ? "IPv4" : "IPv6") address; "
                        + "that is a permanent error (permerror).",
                    fix: kind == .ip4
                        ? "Write a dotted IPv4 address such as 192.0.2.1, optionally with /0–/32; use ip6: for IPv6."
                        : "Write an IPv6 address such as 2001:db8::1, optionally with /0–/128; use ip4: for IPv4.")
                return nil
            }
            mechanism.network = text
        }
        return mechanism
    }

    /// `ip4:1.2.3.4~all`, `include:example.com?all` and the like: an `all` with a qualifier glued
    /// to the end of another term. A bare `-all` ending a name could be a real label
    /// (`example.com-all` is a legal name), so `-all` counts only after an address.
    func isGluedAll(_ term: String) -> Bool {
        let lower = term.lowercased()
        guard lower.count > 4, lower.hasSuffix("all") else { return false }
        let qualifier = lower.dropLast(3).last
        let head = lower.dropLast(4)
        guard let qualifier, "+-~?".contains(qualifier), !head.isEmpty else { return false }
        if head.count == 1, "+-~?".contains(head) { return false }
        if qualifier == "-" {
            return head.hasPrefix("ip4:") || head.hasPrefix("ip6:") || head.dropFirst().hasPrefix("ip4:")
                || head.dropFirst().hasPrefix("ip6:")
        }
        return true
    }

    /// Splits `domain/ip4//ip6` from the end; either length may be absent.
    func splitDualCIDR(_ spec: Substring) -> (domain: Substring, ip4: Substring?, ip6: Substring?) {
        var rest = spec
        var ip6: Substring?
        var ip4: Substring?
        if let range = lastRange(of: "//", in: rest) {
            ip6 = rest[range.upperBound...]
            rest = rest[..<range.lowerBound]
        }
        if let slash = rest.lastIndex(of: "/") {
            let tail = rest[rest.index(after: slash)...]
            if tail.allSatisfy({ $0.isASCII && $0.isNumber }) {
                ip4 = tail
                rest = rest[..<slash]
            }
        }
        return (rest, ip4, ip6)
    }

    func lastRange(of needle: String, in text: Substring) -> Range<Substring.Index>? {
        var index = text.endIndex
        while index > text.startIndex {
            index = text.index(before: index)
            if text[index...].hasPrefix(needle) { return index..<text.index(index, offsetBy: needle.count) }
        }
        return nil
    }

    /// A CIDR length: digits without a leading zero, 0 to `maximum`.
    func prefixLength(_ text: Substring, maximum: Int) -> Int? {
        guard !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        guard text == "0" || text.first != "0", let n = Int(text), n <= maximum else { return nil }
        return n
    }

    /// Reports a bad domain-spec; returns whether it was valid.
    mutating func checkDomainSpec(_ spec: String, in term: String) -> Bool {
        switch SPFDomainSpec.problem(in: spec) {
        case nil:
            return true
        case .macro(let why):
            add(
                .error, "spf-invalid-macro", "In \"\(term)\": \(why). That is a permanent error (permerror).",
                fix: "Correct the macro, or write a literal % as %%.")
        case .domain:
            add(
                .error, "spf-invalid-domain",
                "\"\(spec)\" in \"\(term)\" is not a valid domain name; that is a permanent error (permerror).",
                fix: "Write a full domain name such as _spf.example.com, without spaces or a trailing /.")
        }
        return false
    }

    mutating func syntax(_ term: String, _ why: String) -> SPFMechanism? {
        add(
            .error, "spf-syntax", "\"\(term)\" is malformed: \(why). That is a permanent error (permerror).",
            fix: "Correct the term as RFC 7208 §5 describes, or remove it.")
        return nil
    }

    mutating func invalidCIDR(_ term: String, maximum: Int) -> SPFMechanism? {
        add(
            .error, "spf-invalid-cidr",
            "\"\(term)\" has an invalid prefix length; it must be a number from 0 to \(maximum) without "
                + "leading zeros. That is a permanent error (permerror).",
            fix: "Write the length as /0 to /\(maximum), e.g. /24 for IPv4 or /64 for IPv6.")
        return nil
    }

    mutating func checkPolicy(_ record: SPFRecord) {
        let mechanisms = record.mechanisms
        if let allIndex = mechanisms.firstIndex(where: { $0.kind == .all }) {
            let after = mechanisms[(allIndex + 1)...]
            if !after.isEmpty {
                let list = after.map(\.description).joined(separator: " ")
                add(
                    .warning, "spf-after-all",
                    "\(list) come\(after.count == 1 ? "s" : "") after all and \(after.count == 1 ? "is" : "are") "
                        + "never evaluated.",
                    fix: "Move them before all, or remove them.")
            }
            if record.redirect != nil {
                add(
                    .warning, "spf-redirect-ignored",
                    "redirect= is ignored because the record has an all mechanism (RFC 7208 §6.1).",
                    fix: "Remove either all or redirect=.")
            }
            switch mechanisms[allIndex].qualifier {
            case .pass:
                add(
                    .error, "spf-pass-all",
                    "\(mechanisms[allIndex].description == "all" ? "all" : "+all") authorises every host on the "
                        + "internet to send mail as this domain.",
                    fix: "End the record with -all (or ~all while you are still finding senders).")
            case .neutral:
                add(
                    .warning, "spf-neutral-all",
                    "?all says nothing about hosts not listed, so SPF gives no protection against spoofing.",
                    fix: "End the record with -all, or ~all while you are still finding senders.")
            case .fail, .softfail:
                break
            }
        } else if record.redirect == nil {
            add(
                .warning, "spf-no-all",
                "The record has no all mechanism and no redirect=, so hosts not listed get a neutral result: "
                    + "SPF gives no protection against spoofing.",
                fix: "End the record with -all (or ~all while you are still finding senders).")
        }
        if mechanisms.contains(where: { $0.kind == .ptr }) {
            add(
                .warning, "spf-ptr",
                "The ptr mechanism is slow and unreliable, and RFC 7208 §5.5 says it should not be used; "
                    + "many receivers skip it.",
                fix: "Replace ptr with ip4/ip6 ranges or a and mx mechanisms for the hosts it was meant to cover.")
        }
    }

    mutating func add(_ severity: FindingSeverity, _ code: String, _ message: String, fix: String) {
        findings.append(RecordFinding(severity, code, message, fix: fix))
    }
}
