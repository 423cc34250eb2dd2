/// What the resolver found when it looked up a domain's SPF record.
public enum SPFLookupAnswer: Sendable, Equatable {
    /// Exactly one SPF record, its strings joined.
    case record(String)
    /// No SPF record: NXDOMAIN, or no TXT starting with `v=spf1` (a void lookup if the name had
    /// no records at all; counted as one here either way).
    case none
    /// More than one SPF record: a permanent error (RFC 7208 §4.5).
    case multiple([String])
    /// The lookup failed (timeout, SERVFAIL); the text says how.
    case error(String)
}

/// One domain in an SPF include/redirect tree.
public struct SPFExpansionNode: Sendable, Equatable {
    /// How the node was reached.
    public enum Edge: String, Sendable, Codable {
        /// The domain being checked.
        case root
        /// Through an `include:` mechanism.
        case include
        /// Through a `redirect=` modifier.
        case redirect
    }

    /// What happened when the node's record was looked for.
    public enum Status: Sendable, Equatable {
        /// The record was found and parsed; `children` hold its includes and redirect.
        case expanded
        /// The domain has no SPF record.
        case noRecord
        /// The domain has several SPF records (permerror).
        case multipleRecords
        /// The lookup failed; the text says how (temperror).
        case lookupFailed(String)
        /// The domain is already on the path from the root: expanding it again would never end.
        case loop
        /// The target holds macros, which only expand for a real message, so it was not followed.
        case macroNotExpanded
        /// The tree is deeper than `SPFExpansion.maximumDepth`; stopped here.
        case tooDeep
    }

    /// The domain (lower-cased, without a trailing dot) or, for `.macroNotExpanded`, the
    /// domain-spec as written.
    public var domain: String
    /// How it was reached.
    public var edge: Edge
    /// What happened.
    public var status: Status
    /// The SPF record text, when one was found.
    public var record: String?
    /// Findings from parsing that record (`SPFRecord.parse`).
    public var findings: [RecordFinding]
    /// The DNS lookups this record's own terms cost (`SPFRecord.dnsLookupTerms`), not counting
    /// what its includes cost in turn.
    public var lookups: Int
    /// The included and redirected-to domains, in record order.
    public var children: [SPFExpansionNode]

    /// Lookups of this node and everything below it.
    public var totalLookups: Int { lookups + children.reduce(0) { $0 + $1.totalLookups } }
}

/// The outcome of `SPFExpansion.expand`.
public struct SPFExpansionResult: Sendable, Equatable {
    /// The tree, rooted at the checked domain.
    public var root: SPFExpansionNode
    /// DNS lookups counted across the whole tree (RFC 7208 §4.6.4 allows 10).
    public var dnsLookups: Int
    /// include/redirect targets without an SPF record (RFC 7208 §4.6.4 allows 2 void lookups).
    public var voidLookups: Int
    /// What the expansion found: limits, loops, missing or broken targets. Findings about each
    /// record's own text are on its node.
    public var findings: [RecordFinding]
}

/// Expands a domain's SPF include/redirect tree from answers the resolver supplies, and counts
/// DNS lookups and void lookups per RFC 7208 §4.6.4.
///
/// This is pure: `lookup` is asked for each domain's SPF record and may read from a map, a cache
/// or DNS. Counting is static, as checkers do: every term that would be evaluated counts once,
/// whatever the message. Each `a`, `mx`, `ptr` and `exists` term counts one lookup; the extra
/// per-`mx` limit (at most 10 address lookups for its hosts) and void `a`/`mx` answers need real
/// queries and are the resolver's job.
public enum SPFExpansion {
    /// The most DNS-querying terms RFC 7208 §4.6.4 allows per check.
    public static let lookupLimit = 10
    /// The most void lookups RFC 7208 §4.6.4 recommends.
    public static let voidLookupLimit = 2
    /// How deep includes are followed before giving up.
    public static let maximumDepth = 20

    /// Expands `domain`'s record and everything it includes or redirects to.
    public static func expand(domain: String, lookup: (String) -> SPFLookupAnswer) -> SPFExpansionResult {
        var walker = SPFTreeWalker()
        let root = walker.visit(DomainName.normalized(domain), edge: .root, path: [], parent: nil, lookup: lookup)
        if walker.lookups > lookupLimit {
            walker.add(
                .error, "spf-too-many-lookups",
                "Checking this SPF record takes \(walker.lookups) DNS lookups (include, a, mx, ptr, exists and "
                    + "redirect, counted through every include); more than \(lookupLimit) is a permanent error "
                    + "(permerror), so receivers treat SPF as failed.",
                fix: "Bring it to \(lookupLimit) or fewer: replace includes of services you no longer use, "
                    + "replace a and mx with ip4/ip6, or move senders to subdomains with their own SPF.")
        }
        if walker.voidLookups > voidLookupLimit {
            walker.add(
                .error, "spf-too-many-void-lookups",
                "\(walker.voidLookups) include or redirect targets have no SPF record; more than "
                    + "\(voidLookupLimit) such void lookups is a permanent error (permerror).",
                fix: "Remove the includes and redirects that point to domains without SPF.")
        }
        return SPFExpansionResult(
            root: root, dnsLookups: walker.lookups, voidLookups: walker.voidLookups, findings: walker.findings)
    }
}

/// The state of one `SPFExpansion.expand` call.
private struct SPFTreeWalker {
    var lookups = 0
    var voidLookups = 0
    var findings: [RecordFinding] = []

    mutating func visit(
        _ domain: String, edge: SPFExpansionNode.Edge, path: [String], parent: String?,
        lookup: (String) -> SPFLookupAnswer
    ) -> SPFExpansionNode {
        var node = SPFExpansionNode(
            domain: domain, edge: edge, status: .expanded, record: nil, findings: [], lookups: 0, children: [])
        let via = parent.map { " (\(edge == .include ? "included" : "redirected to") by \($0))" } ?? ""
        if path.contains(domain) {
            node.status = .loop
            add(
                .error, "spf-include-loop",
                "\(domain)\(via) is already being checked higher up (\((path + [domain]).joined(separator: " → "))); "
                    + "the loop makes SPF a permanent error (permerror).",
                fix: "Remove the include or redirect that points back to \(domain).")
            return node
        }
        if path.count >= SPFExpansion.maximumDepth {
            node.status = .tooDeep
            add(
                .error, "spf-too-deep",
                "Includes nest more than \(SPFExpansion.maximumDepth) levels deep at \(domain); the lookup "
                    + "limit is certainly exceeded.",
                fix: "Flatten the include chain.")
            return node
        }

        switch lookup(domain) {
        case .record(let text) where SPFRecord.isSPF(text):
            node.record = text
            let (parsed, recordFindings) = SPFRecord.parse(text)
            node.findings = recordFindings
            guard let parsed else { return node }
            if parent != nil, recordFindings.contains(where: { SPFRecord.syntaxErrorCodes.contains($0.code) }) {
                add(
                    .error, "spf-included-record-invalid",
                    "The SPF record of \(domain)\(via) has syntax errors, so every check that reaches it ends "
                        + "in a permanent error (permerror).",
                    fix:
                        "Ask whoever runs \(domain) to fix its record, or stop \(edge == .include ? "including" : "redirecting to") it."
                )
            }
            let counted = parsed.dnsLookupTerms
            node.lookups = counted.count
            lookups += counted.count
            for term in counted {
                let target: String
                let childEdge: SPFExpansionNode.Edge
                switch term {
                case .mechanism(let m) where m.kind == .include:
                    guard let spec = m.domainSpec else { continue }
                    target = spec
                    childEdge = .include
                case .modifier("redirect", let value):
                    target = value
                    childEdge = .redirect
                default:
                    continue
                }
                if target.contains("%") {
                    node.children.append(
                        SPFExpansionNode(
                            domain: target, edge: childEdge, status: .macroNotExpanded, record: nil, findings: [],
                            lookups: 0, children: []))
                    add(
                        .info, "spf-macro-not-expanded",
                        "\(target) in the record of \(domain) uses macros, which only expand for a real message, "
                            + "so what it includes was not counted.",
                        fix: "Nothing to do if it is intended; the real lookup count may be higher than shown.")
                    continue
                }
                node.children.append(
                    visit(
                        DomainName.normalized(target), edge: childEdge, path: path + [domain], parent: domain,
                        lookup: lookup))
            }
        case .record, .none:
            node.status = .noRecord
            if let parent {
                voidLookups += 1
                let included = edge == .include
                add(
                    .error, included ? "spf-include-no-record" : "spf-redirect-no-record",
                    "\(domain)\(via) has no SPF record; \(included ? "including" : "redirecting to") it is a "
                        + "permanent error (permerror).",
                    fix:
                        "Correct the domain name in the \(included ? "include" : "redirect") of \(parent), or remove it."
                )
            } else {
                add(
                    .warning, "spf-missing",
                    "\(domain) has no SPF record, so receivers cannot tell which hosts may send its mail.",
                    fix: "Publish one, e.g. \"v=spf1 -all\" if the domain sends no mail, or \"v=spf1 include:<your "
                        + "provider> -all\".")
            }
        case .multiple(let texts):
            node.status = .multipleRecords
            add(
                .error, "spf-multiple-records",
                "\(domain)\(via) publishes \(texts.count) SPF records; more than one is a permanent error "
                    + "(permerror).",
                fix: "Merge them into one record starting with v=spf1.")
        case .error(let why):
            node.status = .lookupFailed(why)
            add(
                .warning, "spf-lookup-failed",
                "Looking up the SPF record of \(domain)\(via) failed (\(why)); receivers get a temporary error "
                    + "(temperror) while this lasts.",
                fix: "Check that the domain's name servers answer; try again later.")
        }
        return node
    }

    mutating func add(_ severity: FindingSeverity, _ code: String, _ message: String, fix: String) {
        findings.append(RecordFinding(severity, code, message, fix: fix))
    }
}
