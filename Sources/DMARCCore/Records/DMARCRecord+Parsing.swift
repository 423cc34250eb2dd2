extension DMARCRecord {
    /// Where a record was found, which decides which absent tags matter.
    public enum Purpose: Sendable {
        /// A policy record at `_dmarc.<domain>`: a missing `p` or `rua` is worth a finding.
        case policy
        /// A third-party authorisation at `<domain>._report._dmarc.<host>` (RFC 7489 §7.1),
        /// where `v=DMARC1;` alone is the whole record.
        case reportAuthorization
    }

    /// Parses a TXT value (its strings already joined) as a DMARC record.
    ///
    /// `record` is `nil` only when the text is not a DMARC record at all: `v=DMARC1` (exact
    /// case) is not the first tag. Anything else that is wrong becomes a finding and the tag is
    /// skipped or replaced by its default, as RFC 9989 §4.7 tells receivers to do.
    public static func parse(_ text: String) -> (record: DMARCRecord?, findings: [RecordFinding]) {
        parse(text, purpose: .policy)
    }

    /// Parses a TXT value as a DMARC record found at a place with the given purpose: for
    /// `.reportAuthorization`, a missing `p` or `rua` is not a finding.
    public static func parse(
        _ text: String, purpose: Purpose
    ) -> (record: DMARCRecord?, findings: [RecordFinding]) {
        var parser = DMARCRecordParser()
        let record = parser.parse(text, purpose: purpose)
        return (record, parser.findings)
    }
}

/// The state of one `DMARCRecord.parse` call.
private struct DMARCRecordParser {
    var findings: [RecordFinding] = []
    var record = DMARCRecord()

    mutating func parse(_ text: String, purpose: DMARCRecord.Purpose) -> DMARCRecord? {
        let tags = TagListSplitter.split(text)
        guard let first = tags.first, first.hasEquals, first.name.lowercased() == "v" else {
            let later = tags.dropFirst().contains { $0.name.lowercased() == "v" }
            add(
                .error, "dmarc-no-version",
                later
                    ? "v=DMARC1 is not the first tag, so receivers ignore the whole record."
                    : "The record does not start with v=DMARC1, so it is not a DMARC record and receivers ignore it.",
                fix: "Start the record with v=DMARC1; and put the other tags after it, for example "
                    + "\"v=DMARC1; p=none; rua=mailto:dmarc@example.com\".")
            return nil
        }
        guard first.value == "DMARC1" else {
            add(
                .error, "dmarc-invalid-version",
                "The version is \"v=\(first.value)\", but only v=DMARC1 (upper-case, exactly) is valid, "
                    + "so receivers ignore the whole record.",
                fix: "Write v=DMARC1 exactly.")
            return nil
        }

        var seen: Set<String> = ["v"]
        var pPosition: Int?
        var invalidP: String?
        for (position, tag) in tags.enumerated().dropFirst() {
            guard tag.hasEquals, !tag.name.isEmpty, tag.name.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                add(
                    .error, "dmarc-syntax", "\"\(tag.text)\" is not a tag=value pair, so receivers ignore it.",
                    fix: "Remove it, or write it as name=value with a name made of letters.")
                continue
            }
            let name = tag.name.lowercased()
            guard seen.insert(name).inserted else {
                add(
                    .error, "dmarc-duplicate-tag",
                    "The tag \(name) appears more than once; only the first (\(name)=…) is used here, "
                        + "and receivers may reject the whole record.",
                    fix: "Keep one \(name) tag and delete the others.")
                continue
            }
            if name == "p" {
                pPosition = position
                if !readPolicy(tag) { invalidP = tag.value }
            } else {
                read(tag, name: name)
            }
        }

        let hasRUA = !record.rua.isEmpty
        let fallback =
            hasRUA
            ? "Because rua has a valid address, receivers treat the record as p=none (RFC 9989 §4.10.1): "
                + "monitoring only."
            : "With no valid rua address either, receivers do no DMARC processing for this domain."
        if let invalidP {
            add(
                .error, "dmarc-invalid-p",
                "p=\(invalidP) is not a policy (none, quarantine or reject). " + fallback,
                fix: "Write p=none, p=quarantine or p=reject.")
        } else if record.p == nil, purpose == .policy {
            add(
                .warning, "dmarc-missing-p", "The record has no p tag. " + fallback,
                fix: "Add p=none to monitor; move to p=quarantine, then p=reject, once reports show that "
                    + "all legitimate mail passes.")
        }
        if let pPosition, pPosition != 1 {
            add(
                .warning, "dmarc-p-not-second",
                "p is not the tag right after v. RFC 9989 allows any order, but some RFC 7489 receivers "
                    + "still require p to come second.",
                fix: "Move p= to directly after v=DMARC1;.")
        }
        checkPolicies()
        checkReporting(purpose: purpose)
        return record
    }

    /// Reads `p`; returns whether the value was valid.
    mutating func readPolicy(_ tag: SplitTag) -> Bool {
        guard let policy = DMARCPolicy(value: tag.value) else {
            record.invalidTags.append(RecordTag(name: tag.name, value: tag.value))
            return false
        }
        record.p = policy
        return true
    }

    mutating func read(_ tag: SplitTag, name: String) {
        let value = tag.value
        switch name {
        case "sp", "np":
            if let policy = DMARCPolicy(value: value) {
                if name == "sp" { record.sp = policy } else { record.np = policy }
            } else {
                invalid(
                    tag, name: name, rule: "none, quarantine or reject",
                    consequence: "Under RFC 9989 §4.10.1 receivers then treat the whole record as p=none "
                        + "if rua has a valid address, and ignore it otherwise.")
            }
        case "adkim", "aspf":
            if let mode = DMARCRecord.AlignmentMode(rawValue: value.lowercased()) {
                if name == "adkim" { record.adkim = mode } else { record.aspf = mode }
            } else {
                invalid(tag, name: name, rule: "r (relaxed) or s (strict)", consequence: "Receivers use r.")
            }
        case "t":
            switch value.lowercased() {
            case "y": record.t = true
            case "n": record.t = false
            default: invalid(tag, name: name, rule: "y or n", consequence: "Receivers use n (not testing).")
            }
        case "psd":
            if let flag = DMARCRecord.PublicSuffixFlag(rawValue: value.lowercased()) {
                record.psd = flag
            } else {
                invalid(tag, name: name, rule: "y, n or u", consequence: "Receivers use u (unknown).")
            }
        case "fo":
            readFailureOptions(tag)
        case "rua", "ruf":
            readURIs(tag, name: name)
        case "pct":
            if value.count <= 3, value.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(value), n <= 100 {
                record.pct = n
                legacy(
                    "pct=\(n): RFC 9989 removed pct, so receivers following it ignore the tag; RFC 7489 "
                        + "receivers still apply the policy to \(n)% of failing mail.",
                    fix: "Remove pct. To try a stricter policy first, add t=y (it replaces pct=0) and remove "
                        + "it when ready (no t is the old pct=100).")
            } else {
                invalid(
                    tag, name: name, rule: "a whole number from 0 to 100",
                    consequence: "RFC 7489 receivers use 100; RFC 9989 receivers ignore pct anyway.")
            }
        case "rf":
            let formats = value.split(separator: ":").map { $0.trimmedASCII.lowercased() }
            if !formats.isEmpty, formats.allSatisfy({ $0 == "afrf" }) {
                record.rf = formats.joined(separator: ":")
                legacy(
                    "rf=\(record.rf ?? ""): RFC 9989 removed rf; failure reports always use the AFRF format.",
                    fix: "Remove rf; it changes nothing.")
            } else {
                invalid(
                    tag, name: name, rule: "afrf (the only registered format)",
                    consequence: "RFC 7489 receivers may ignore the whole record; others ignore rf.")
            }
        case "ri":
            if !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = UInt32(value) {
                record.ri = seconds
                legacy(
                    "ri=\(seconds): RFC 9989 removed ri; receivers send aggregate reports about once a day "
                        + "whatever it says.",
                    fix: "Remove ri; it changes nothing in practice.")
            } else {
                invalid(
                    tag, name: name, rule: "a whole number of seconds", consequence: "Receivers use 86400 (a day).")
            }
        default:
            record.unknownTags.append(RecordTag(name: tag.name, value: value))
            add(
                .warning, "dmarc-unknown-tag", "The tag \(tag.name) is not defined by DMARC; receivers ignore it.",
                fix: "Check its spelling (the tags are p, sp, np, adkim, aspf, t, psd, rua, ruf and fo) or remove it.")
        }
    }

    mutating func readFailureOptions(_ tag: SplitTag) {
        var options: [DMARCRecord.FailureOption] = []
        for part in tag.value.split(separator: ":", omittingEmptySubsequences: false) {
            guard let option = DMARCRecord.FailureOption(rawValue: part.trimmedASCII.lowercased()),
                !options.contains(option)
            else {
                invalid(
                    tag, name: "fo", rule: "0, 1, d or s, each at most once, separated by colons",
                    consequence: "Receivers use fo=0.")
                return
            }
            options.append(option)
        }
        if options.contains(.allFail), options.contains(.anyFail) {
            record.invalidTags.append(RecordTag(name: tag.name, value: tag.value))
            add(
                .error, "dmarc-fo-conflict",
                "fo=\(tag.value) asks for both 0 (report when everything fails) and 1 (report when anything "
                    + "fails); RFC 9989 makes them exclusive, so receivers use the default fo=0.",
                fix: "Keep only one of 0 and 1, for example fo=1 to hear about every failure.")
            return
        }
        record.fo = options
    }

    mutating func readURIs(_ tag: SplitTag, name: String) {
        guard !tag.value.isEmpty else {
            invalid(tag, name: name, rule: "one or more URIs separated by commas", consequence: "No reports are sent.")
            return
        }
        var uris: [ReportURI] = []
        for item in tag.value.split(separator: ",", omittingEmptySubsequences: false) {
            let text = item.trimmedASCII
            switch ReportURI.parse(text) {
            case .failure(let problem):
                add(
                    .error, "dmarc-invalid-uri",
                    "The \(name) destination \"\(text)\" is not usable: \(problem). Receivers skip it.",
                    fix: "Write it as mailto:address@domain, with any comma or ! inside it written as %2C or %21.")
            case .success(let uri):
                if uri.sizeLimit != nil {
                    add(
                        .warning, "dmarc-uri-size-limit",
                        "The size limit \"!\(uri.sizeLimit ?? "")\" on \(uri.uri) is obsolete: RFC 9989 removed it "
                            + "and receivers ignore it.",
                        fix: "Remove the ! and what follows it.")
                }
                if !uri.isMailto {
                    add(
                        .warning, "dmarc-uri-unsupported-scheme",
                        "\(uri.uri) uses \(uri.scheme):, but receivers only have to support mailto: and ignore "
                            + "other schemes, so no reports will arrive there.",
                        fix: "Use a mailto: address.")
                }
                uris.append(uri)
            }
        }
        if name == "rua" { record.rua = uris } else { record.ruf = uris }
    }

    mutating func checkPolicies() {
        guard let p = record.p, !record.usesFallbackPolicy else { return }
        if p == DMARCPolicy.none {
            add(
                .info, "dmarc-policy-none",
                "p=none is monitoring only: receivers deliver failing mail as usual and just report it, so "
                    + "anyone can still send mail as this domain.",
                fix: "When aggregate reports show that every legitimate sender passes, move to p=quarantine, "
                    + "then p=reject.")
        }
        if let sp = record.sp, sp < p {
            add(
                .info, "dmarc-sp-weaker",
                "sp=\(sp.rawValue) is weaker than p=\(p.rawValue): subdomains are less protected than the domain.",
                fix: "If no subdomain needs the weaker policy, remove sp or set it to \(p.rawValue).")
        }
        if let np = record.np, np < p {
            add(
                .info, "dmarc-np-weaker",
                "np=\(np.rawValue) is weaker than p=\(p.rawValue): made-up subdomains that do not exist in DNS, "
                    + "a favourite of spoofers, are less protected than the domain.",
                fix: "Set np=reject, or remove np.")
        }
        if record.t == true, p != DMARCPolicy.none {
            add(
                .info, "dmarc-testing",
                "t=y is test mode: receivers apply one level less than p=\(p.rawValue) "
                    + "(reject becomes quarantine, quarantine becomes none).",
                fix: "Remove t=y when reports show that the policy is safe to enforce.")
        }
    }

    mutating func checkReporting(purpose: DMARCRecord.Purpose) {
        if record.rua.isEmpty, purpose == .policy {
            add(
                .warning, "dmarc-no-rua",
                "There is no valid rua address, so receivers send no aggregate reports and you cannot see who "
                    + "sends mail as this domain.",
                fix: "Add rua=mailto: with the address DMARCWatch reads.")
        }
        if !record.ruf.isEmpty {
            add(
                .info, "dmarc-ruf-present",
                "ruf asks for failure reports. Most receivers never send them, and those that do include "
                    + "personal data from the failing messages.",
                fix: "Keep ruf only if you need it and can handle personal data; otherwise remove it.")
        }
        if record.fo != nil, record.ruf.isEmpty {
            add(
                .info, "dmarc-fo-without-ruf", "fo only matters with ruf; without it receivers ignore fo.",
                fix: "Remove fo, or add a ruf address.")
        }
    }

    mutating func invalid(_ tag: SplitTag, name: String, rule: String, consequence: String) {
        record.invalidTags.append(RecordTag(name: tag.name, value: tag.value))
        add(
            .error, "dmarc-invalid-\(name)",
            "\(name)=\(tag.value) is not valid: the value must be \(rule). \(consequence)",
            fix: "Write \(name)= with \(rule), or remove the tag.")
    }

    mutating func legacy(_ message: String, fix: String) {
        add(.info, "dmarc-legacy-tag", message, fix: fix)
    }

    mutating func add(_ severity: FindingSeverity, _ code: String, _ message: String, fix: String) {
        findings.append(RecordFinding(severity, code, message, fix: fix))
    }
}
