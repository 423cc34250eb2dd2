/// One `;`-separated part of a tag-list record, split at its first `=`, before any checks.
struct SplitTag: Sendable, Equatable {
    /// The name with surrounding white space removed.
    var name: String
    /// The value with surrounding white space removed; empty when the part had no `=`.
    var value: String
    /// Whether the part had an `=` at all.
    var hasEquals: Bool
    /// Whether the part was exactly `name=value`, with no white space around `=`. TLS-RPT and
    /// MTA-STS spell their fields that way (RFC 8460 §3, RFC 8461 §3.1); DMARC, DKIM and BIMI allow
    /// white space there.
    var isTight: Bool

    /// The part as it would be written tightly.
    var text: String { hasEquals ? "\(name)=\(value)" : name }
}

/// Splits the `tag=value; tag=value` lists shared by DMARC, DKIM, TLS-RPT, MTA-STS and BIMI.
///
/// White space (space, tab, CR, LF) around `;` and `=` is dropped, and empty parts (a trailing
/// `;`, or `;;`) are skipped: every one of these grammars allows a trailing separator, and a
/// doubled one changes no tag, so it is not worth a finding.
enum TagListSplitter {
    /// Records longer than this are not tag lists anyone publishes; the rest is ignored so hostile
    /// input stays cheap. (A TXT answer is at most 64 KB.)
    static let maximumLength = 65_536

    static func split(_ text: String) -> [SplitTag] {
        var tags: [SplitTag] = []
        for part in text.utf8.prefix(maximumLength).split(
            separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
        {
            let raw = String(decoding: part, as: UTF8.self)
            let trimmed = raw.trimmedASCII
            if trimmed.isEmpty { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                tags.append(SplitTag(name: trimmed, value: "", hasEquals: false, isTight: true))
                continue
            }
            let rawName = trimmed[..<eq]
            let rawValue = trimmed[trimmed.index(after: eq)...]
            let name = rawName.trimmedASCII
            let value = rawValue.trimmedASCII
            let tight = name.count == rawName.count && value.count == rawValue.count
            tags.append(SplitTag(name: name, value: value, hasEquals: true, isTight: tight))
        }
        return tags
    }
}
