/// An SPF record (RFC 7208), the TXT at a domain that starts with `v=spf1`.
///
/// `parse` checks everything that needs no DNS (SPEC §5.1). Counting DNS lookups through
/// `include` and `redirect`, void lookups, loops and multiple records need the published records
/// of other domains: `SPFExpansion` does that from answers the resolver supplies.
public struct SPFRecord: Sendable, Equatable {
    /// The record text as parsed (its strings already joined).
    public var text: String
    /// The terms that parsed, in order. Terms with syntax errors are left out (and reported).
    public var terms: [SPFTerm]

    /// Makes a record from parsed terms.
    public init(text: String, terms: [SPFTerm]) {
        self.text = text
        self.terms = terms
    }

    /// Whether `text` is an SPF record: it starts with `v=spf1` (in any case, as the ABNF
    /// allows) followed by a space or the end. `v=spf10` and text with leading space are not.
    public static func isSPF(_ text: String) -> Bool {
        let prefix = Array("v=spf1".utf8)
        var bytes = text.utf8.makeIterator()
        for expected in prefix {
            guard let byte = bytes.next(), byte | 0x20 == expected | 0x20 else { return false }
        }
        guard let next = bytes.next() else { return true }
        return next == UInt8(ascii: " ")
    }

    /// The mechanisms, in order.
    public var mechanisms: [SPFMechanism] { terms.compactMap(\.mechanism) }

    /// The qualifier of the first `all`, or `nil` when there is none.
    public var allQualifier: SPFQualifier? { mechanisms.first { $0.kind == .all }?.qualifier }

    /// The domain-specs of the `include` mechanisms, in order.
    public var includes: [String] { mechanisms.filter { $0.kind == .include }.compactMap(\.domainSpec) }

    /// The `redirect` target, if there is one (the first, if there are several).
    public var redirect: String? { modifier("redirect") }

    /// The `exp` target, if there is one.
    public var explanation: String? { modifier("exp") }

    /// The terms that are evaluated and cost a DNS lookup toward the limit of 10 (RFC 7208
    /// §4.6.4): include, a, mx, ptr, exists, and redirect.
    ///
    /// Terms after the first `all` are never evaluated, and `redirect` is ignored when `all` is
    /// present (§5.1, §6.1), so they are not counted. Each `mx` may also cost up to 10 address
    /// lookups for its hosts, and `ptr` up to 10 names; those limits apply per mechanism and are
    /// checked by the resolver, not counted here.
    public var dnsLookupTerms: [SPFTerm] {
        var counted: [SPFTerm] = []
        var sawAll = false
        for term in terms {
            switch term {
            case .mechanism(let m):
                guard !sawAll else { continue }
                if m.kind == .all { sawAll = true }
                if m.countsTowardLookupLimit { counted.append(term) }
            case .modifier(let name, _):
                if name == "redirect" { counted.append(term) }
            }
        }
        if sawAll { counted.removeAll { if case .modifier = $0 { true } else { false } } }
        return counted
    }

    /// The canonical text: `v=spf1` and the terms joined by single spaces.
    public func render() -> String {
        (["v=spf1"] + terms.map(\.description)).joined(separator: " ")
    }

    private func modifier(_ name: String) -> String? {
        for case .modifier(let n, let value) in terms where n == name { return value }
        return nil
    }
}
