/// Checks on DNS names as records use them: host names in report addresses, the domain a record
/// is generated for, MTA-STS `mx` patterns.
///
/// Names must be A-labels (ASCII); an internationalised name has to be converted to its
/// `xn--` form before it is given here, as RFC 7489 §6.6.1 requires.
public enum DomainName {
    /// The name lower-cased, with one trailing dot removed.
    public static func normalized(_ name: String) -> String {
        var n = name.lowercased()
        if n.hasSuffix(".") { n.removeLast() }
        return n
    }

    /// Whether `name` is a valid host name: letter-digit-hyphen labels of 1–63 characters, not
    /// starting or ending with a hyphen, at most 253 characters in all, a last label that is not
    /// all digits (so an IP address is not taken for a name), and at least `minimumLabels` labels.
    /// One trailing dot is allowed.
    public static func isValidHostName(_ name: String, minimumLabels: Int = 2) -> Bool {
        let n = normalized(name)
        guard !n.isEmpty, n.utf8.count <= 253 else { return false }
        let labels = n.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= minimumLabels else { return false }
        for label in labels where !isValidLabel(label, allowUnderscore: false) { return false }
        guard let last = labels.last, !last.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return true
    }

    /// Whether `name` is a valid DNS name for a TXT lookup: like a host name, but labels may also
    /// contain `_` (as in `_dmarc`, `_spf`, `_report`).
    public static func isValidDNSName(_ name: String, minimumLabels: Int = 2) -> Bool {
        let n = normalized(name)
        guard !n.isEmpty, n.utf8.count <= 253 else { return false }
        let labels = n.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= minimumLabels else { return false }
        return labels.allSatisfy { isValidLabel($0, allowUnderscore: true) }
    }

    /// Whether `name` is `other` or one of its subdomains (case-insensitive).
    public static func isSameOrSubdomain(_ name: String, of other: String) -> Bool {
        let a = normalized(name)
        let b = normalized(other)
        return a == b || a.hasSuffix("." + b)
    }

    /// A rough "same Organizational Domain" test that needs no Public Suffix List: true when one
    /// name equals or is a subdomain of the other, or when both share their last two labels.
    ///
    /// This is a simplification, used only for offline record generation. It is right under
    /// generic top-level domains (`mail.example.com` and `example.com`), but under a multi-label
    /// public suffix it takes `a.co.uk` and `b.co.uk` for one organisation. The resolver side
    /// decides with the Public Suffix List (libpsl) or the RFC 9989 tree walk.
    public static func roughlySameOrganization(_ a: String, _ b: String) -> Bool {
        if isSameOrSubdomain(a, of: b) || isSameOrSubdomain(b, of: a) { return true }
        let la = normalized(a).split(separator: ".")
        let lb = normalized(b).split(separator: ".")
        guard la.count >= 2, lb.count >= 2 else { return false }
        return la.suffix(2).elementsEqual(lb.suffix(2))
    }

    static func isValidLabel(_ label: Substring, allowUnderscore: Bool) -> Bool {
        guard !label.isEmpty, label.utf8.count <= 63 else { return false }
        guard label.first != "-", label.last != "-" else { return false }
        return label.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                true
            case UInt8(ascii: "_"): allowUnderscore
            default: false
            }
        }
    }
}
