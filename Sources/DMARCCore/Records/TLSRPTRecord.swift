/// An SMTP TLS Reporting record (TXT at `_smtp._tls.<domain>`), RFC 8460 §3 (SPEC §4.1):
///
/// ```
/// tlsrpt-record    = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
/// field-delim      = *WSP ";" *WSP
/// tlsrpt-version   = %s"v=TLSRPTv1"
/// tlsrpt-rua       = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
/// tlsrpt-extension = tlsrpt-ext-name "=" tlsrpt-ext-value
/// ```
public struct TLSRPTRecord: Sendable, Equatable {
    /// `rua`: where senders deliver TLS reports, `mailto:` or `https:`, in order.
    public var rua: [ReportURI]
    /// Extension fields, kept as written; senders ignore them.
    public var extensions: [RecordTag]

    /// Makes a record.
    public init(rua: [ReportURI], extensions: [RecordTag] = []) {
        self.rua = rua
        self.extensions = extensions
    }

    /// The canonical text, e.g. `v=TLSRPTv1; rua=mailto:tlsrpt@example.com`.
    public func render() -> String {
        var parts = ["v=TLSRPTv1"]
        if !rua.isEmpty { parts.append("rua=" + rua.map(\.description).joined(separator: ",")) }
        parts += extensions.map(\.description)
        return parts.joined(separator: "; ")
    }

    /// Parses the TXT value (its strings already joined).
    ///
    /// `record` is `nil` when the text does not start with `v=TLSRPTv1` (exact case, no spaces),
    /// since senders discard such records. A missing `rua` or a destination other than `mailto:`
    /// or `https:` is an error finding: no reports can be delivered there.
    public static func parse(_ text: String) -> (record: TLSRPTRecord?, findings: [RecordFinding]) {
        var findings: [RecordFinding] = []
        func add(_ severity: FindingSeverity, _ code: String, _ message: String, fix: String) {
            findings.append(RecordFinding(severity, code, message, fix: fix))
        }
        let fields = TagListSplitter.split(text)
        guard let first = fields.first, first.isTight, first.name == "v", first.value == "TLSRPTv1" else {
            add(
                .error, "tlsrpt-invalid-version",
                "The record does not start with v=TLSRPTv1, so senders discard it and send no TLS reports.",
                fix: "Publish \"v=TLSRPTv1; rua=mailto:tlsrpt@<your domain>\" at _smtp._tls.<domain>.")
            return (nil, findings)
        }
        var record = TLSRPTRecord(rua: [])
        var sawRUA = false
        for field in fields.dropFirst() {
            let wellFormed =
                field.hasEquals && field.isTight && MTASTSRecord.isExtensionName(field.name) && !field.value.isEmpty
            if !wellFormed {
                add(
                    .error, "tlsrpt-syntax",
                    "\"\(field.text)\" is not a name=value field (RFC 8460 allows no spaces around =); senders "
                        + "may discard the record.",
                    fix: "Write fields as name=value separated by \"; \", e.g. rua=mailto:tlsrpt@example.com.")
                // A rua with spaces around "=" is still read, so its destinations are checked too.
                guard field.hasEquals, field.name == "rua", !field.value.isEmpty else { continue }
            }
            if field.name == "rua" {
                guard !sawRUA else {
                    add(
                        .error, "tlsrpt-duplicate-rua", "rua= appears more than once; senders may discard the record.",
                        fix: "Put every destination in one rua=, separated by commas.")
                    continue
                }
                sawRUA = true
                for item in field.value.split(separator: ",", omittingEmptySubsequences: false) {
                    let text = item.trimmedASCII
                    switch ReportURI.parse(text, allowingSizeLimit: false) {
                    case .failure(let problem):
                        add(
                            .error, "tlsrpt-invalid-uri",
                            "The rua destination \"\(text)\" is not usable: \(problem).",
                            fix: "Write mailto:address@domain or an https:// URL, with any comma, ! or ; "
                                + "percent-encoded.")
                    case .success(let uri):
                        guard uri.scheme == "mailto" || uri.scheme == "https" else {
                            add(
                                .error, "tlsrpt-unsupported-scheme",
                                "\(uri.uri) uses \(uri.scheme):, but TLS reports go only to mailto: or https: "
                                    + "destinations.",
                                fix: "Use a mailto: address or an https:// URL.")
                            continue
                        }
                        record.rua.append(uri)
                    }
                }
            } else if field.name != "v" {
                guard MTASTSRecord.isExtensionValue(field.value) else { continue }
                record.extensions.append(RecordTag(name: field.name, value: field.value))
            }
        }
        if !sawRUA {
            add(
                .error, "tlsrpt-missing-rua",
                "The record has no rua=, which is required: senders have nowhere to "
                    + "send TLS reports.",
                fix: "Add rua=mailto: with the address DMARCWatch reads.")
        } else if record.rua.isEmpty {
            add(
                .error, "tlsrpt-no-valid-rua", "No rua destination is usable, so no TLS reports can be delivered.",
                fix: "Give at least one mailto: address or https:// URL.")
        }
        return (record, findings)
    }
}
