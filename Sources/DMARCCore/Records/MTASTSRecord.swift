/// An MTA-STS TXT record (`_mta-sts.<domain>`), RFC 8461 §3.1:
///
/// ```
/// sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
/// sts-field       = sts-id / sts-extension
/// sts-field-delim = *WSP ";" *WSP
/// sts-version     = %s"v=STSv1"
/// sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
/// sts-extension   = sts-ext-name "=" sts-ext-value
/// ```
///
/// The record only says a policy exists and when it changed (`id`); the policy itself is
/// `MTASTSPolicy`, fetched over HTTPS.
public struct MTASTSRecord: Sendable, Equatable {
    /// `id`: changes whenever the policy changes. `nil` when missing or invalid.
    public var id: String?
    /// Extension fields, kept as written; senders ignore them.
    public var extensions: [RecordTag]

    /// Makes a record.
    public init(id: String?, extensions: [RecordTag] = []) {
        self.id = id
        self.extensions = extensions
    }

    /// The canonical text, e.g. `v=STSv1; id=20260101T000000`.
    public func render() -> String {
        var parts = ["v=STSv1"]
        if let id { parts.append("id=\(id)") }
        parts += extensions.map(\.description)
        return parts.joined(separator: "; ")
    }

    /// Parses the TXT value (its strings already joined).
    ///
    /// `record` is `nil` when the text does not start with `v=STSv1` (exact case, no spaces):
    /// it is not an MTA-STS record. Any other syntax error is an error finding, because senders
    /// then treat the domain as having no policy (RFC 8461 §3.1).
    public static func parse(_ text: String) -> (record: MTASTSRecord?, findings: [RecordFinding]) {
        var findings: [RecordFinding] = []
        func add(_ severity: FindingSeverity, _ code: String, _ message: String, fix: String) {
            findings.append(RecordFinding(severity, code, message, fix: fix))
        }
        let fields = TagListSplitter.split(text)
        guard let first = fields.first, first.isTight, first.name == "v", first.value == "STSv1" else {
            add(
                .error, "mtasts-invalid-version",
                "The record does not start with v=STSv1, so it is not an MTA-STS record and senders ignore it.",
                fix: "Publish \"v=STSv1; id=<date-time or counter>\" at _mta-sts.<domain>.")
            return (nil, findings)
        }
        var record = MTASTSRecord(id: nil)
        var sawID = false
        for field in fields.dropFirst() {
            guard field.hasEquals, field.isTight, isExtensionName(field.name), isExtensionValue(field.value) else {
                add(
                    .error, "mtasts-syntax",
                    "\"\(field.text)\" is not a name=value field (no spaces around =); with a syntax error "
                        + "senders treat the domain as having no MTA-STS policy.",
                    fix: "Write fields as name=value separated by \"; \".")
                continue
            }
            if field.name == "id" {
                guard !sawID else {
                    add(
                        .error, "mtasts-duplicate-id",
                        "id= appears more than once; senders cannot tell which applies.",
                        fix: "Keep one id=.")
                    continue
                }
                sawID = true
                let id = field.value
                if (1...32).contains(id.count), id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                    record.id = field.value
                } else {
                    add(
                        .error, "mtasts-invalid-id",
                        "id=\(field.value) is not 1 to 32 letters and digits; senders treat the domain as having "
                            + "no MTA-STS policy.",
                        fix: "Use letters and digits only, e.g. a timestamp such as 20260101T120000.")
                }
            } else {
                record.extensions.append(RecordTag(name: field.name, value: field.value))
            }
        }
        if !sawID {
            add(
                .error, "mtasts-missing-id",
                "The record has no id=, which is required; senders treat the domain as having no MTA-STS policy.",
                fix: "Add id= with a value you change whenever the policy file changes.")
        }
        return (record, findings)
    }

    /// `(ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")`, shared with TLS-RPT extensions.
    static func isExtensionName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber, name.count <= 32 else {
            return false
        }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
    }

    /// `1*(%x21-3A / %x3C / %x3E-7E)`: visible ASCII except `;` and `=`.
    static func isExtensionValue(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E && $0 != 0x3B && $0 != 0x3D }
    }
}
