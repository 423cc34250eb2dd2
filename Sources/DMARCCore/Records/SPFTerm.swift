/// The result an SPF mechanism gives when it matches (RFC 7208 §4.6.2).
public enum SPFQualifier: String, Sendable, Codable, CaseIterable {
    /// `+` (also when no qualifier is written): the host is authorised.
    case pass = "+"
    /// `-`: the host is not authorised.
    case fail = "-"
    /// `~`: probably not authorised; accept but mark.
    case softfail = "~"
    /// `?`: no statement either way.
    case neutral = "?"
}

/// One SPF mechanism: a qualifier, a kind and its argument (RFC 7208 §5).
public struct SPFMechanism: Sendable, Hashable, CustomStringConvertible {
    /// The mechanism name.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Matches every host; ends the evaluation.
        case all
        /// Evaluates another domain's SPF record; matches when it passes.
        case include
        /// Matches the addresses of a domain's A/AAAA records.
        case a
        /// Matches the addresses of a domain's MX hosts.
        case mx
        /// Matches when the sender's reverse DNS name is under a domain (do not use, §5.5).
        case ptr
        /// Matches an IPv4 network.
        case ip4
        /// Matches an IPv6 network.
        case ip6
        /// Matches when a name (usually built with macros) has an A record.
        case exists
    }

    /// What a match means.
    public var qualifier: SPFQualifier
    /// Which mechanism.
    public var kind: Kind
    /// The domain-spec argument (may hold macros), for include, exists, and optionally a, mx, ptr.
    public var domainSpec: String?
    /// The address of an ip4 or ip6 network, as written.
    public var network: String?
    /// The IPv4 prefix length: the CIDR of ip4, or the ip4-cidr-length of a and mx.
    public var ip4PrefixLength: Int?
    /// The IPv6 prefix length: the CIDR of ip6, or the ip6-cidr-length of a and mx.
    public var ip6PrefixLength: Int?

    /// Makes a mechanism.
    public init(
        _ kind: Kind, qualifier: SPFQualifier = .pass, domainSpec: String? = nil, network: String? = nil,
        ip4PrefixLength: Int? = nil, ip6PrefixLength: Int? = nil
    ) {
        self.qualifier = qualifier
        self.kind = kind
        self.domainSpec = domainSpec
        self.network = network
        self.ip4PrefixLength = ip4PrefixLength
        self.ip6PrefixLength = ip6PrefixLength
    }

    /// Whether evaluating the mechanism costs a DNS query that counts toward the limit of 10
    /// (RFC 7208 §4.6.4): include, a, mx, ptr and exists.
    public var countsTowardLookupLimit: Bool {
        switch kind {
        case .include, .a, .mx, .ptr, .exists: true
        case .all, .ip4, .ip6: false
        }
    }

    /// The mechanism as written in a record, without the default `+`.
    public var description: String {
        var text = qualifier == .pass ? "" : qualifier.rawValue
        text += kind.rawValue
        switch kind {
        case .ip4, .ip6:
            text += ":" + (network ?? "")
            if let length = kind == .ip4 ? ip4PrefixLength : ip6PrefixLength { text += "/\(length)" }
        default:
            if let domainSpec { text += ":" + domainSpec }
            if let ip4PrefixLength { text += "/\(ip4PrefixLength)" }
            if let ip6PrefixLength { text += "//\(ip6PrefixLength)" }
        }
        return text
    }
}

/// A term of an SPF record: a mechanism, or a `name=value` modifier (RFC 7208 §4.6.1).
public enum SPFTerm: Sendable, Hashable, CustomStringConvertible {
    /// A mechanism such as `include:_spf.example.com` or `-all`.
    case mechanism(SPFMechanism)
    /// A modifier: `redirect`, `exp` (names lower-cased) or an unknown one (kept as written).
    case modifier(name: String, value: String)

    /// The term as written in a record.
    public var description: String {
        switch self {
        case .mechanism(let m): m.description
        case .modifier(let name, let value): "\(name)=\(value)"
        }
    }

    /// The mechanism, if this term is one.
    public var mechanism: SPFMechanism? {
        if case .mechanism(let m) = self { return m }
        return nil
    }
}
