import DMARCCore
import Synchronization

/// Answers "does this domain's SPF record authorise this address?" for the classifier: the
/// record's mechanisms in order (ip4, ip6, a, mx, include, redirect, all), with the RFC 7208
/// limit of 10 DNS-querying terms. `exists` and `ptr` (which depend on the message) never match.
/// Records and address lookups are cached, so checking many addresses costs a few queries.
public final class SPFAuthorizer: Sendable {
    private let resolver: DNSResolver
    private let records = Mutex<[String: SPFRecord?]>([:])
    /// Failures are cached too (as nil): one dead name must not cost a timeout per address.
    private let addresses = Mutex<[String: [IPAddress]?]>([:])
    private let exchanges = Mutex<[String: [String]?]>([:])

    public init(resolver: DNSResolver) { self.resolver = resolver }

    /// True: a `pass` mechanism matches; false: a `fail`/`softfail`/`neutral` one matches or
    /// nothing does; nil: no SPF record, too many lookups, or a lookup failed.
    public func authorizes(domain: String, address: IPAddress) -> Bool? {
        var lookups = 0
        guard let result = evaluate(DNSResolver.normalize(domain), address, &lookups, depth: 0) else { return nil }
        return result == .pass
    }

    enum Outcome { case pass, notPass, noMatch }

    private func evaluate(_ domain: String, _ address: IPAddress, _ lookups: inout Int, depth: Int) -> Outcome? {
        guard depth < 10, let record = record(domain) else { return nil }
        for m in record.mechanisms {
            if m.countsTowardLookupLimit {
                lookups += 1
                if lookups > SPFExpansion.lookupLimit { return nil }
            }
            let target = m.domainSpec.map { DNSResolver.normalize($0) } ?? domain
            var matched = false
            switch m.kind {
            case .all: matched = true
            case .ip4, .ip6:
                if let net = m.network.flatMap(IPAddress.init) {
                    let bits = m.kind == .ip4 ? (m.ip4PrefixLength ?? 32) : (m.ip6PrefixLength ?? 128)
                    matched = Self.contains(net, bits, address)
                }
            case .a:
                let bits = address.isIPv4 ? (m.ip4PrefixLength ?? 32) : (m.ip6PrefixLength ?? 128)
                guard let hosts = resolve(target, ipv4: address.isIPv4) else { return nil }
                matched = hosts.contains { Self.contains($0, bits, address) }
            case .mx:
                let bits = address.isIPv4 ? (m.ip4PrefixLength ?? 32) : (m.ip6PrefixLength ?? 128)
                guard let names = exchangers(target) else { return nil }
                // RFC 7208 §4.6.4: at most 10 MX names are looked up for one mx mechanism.
                for name in names.prefix(10) where !matched {
                    guard let hosts = resolve(name, ipv4: address.isIPv4) else { return nil }
                    matched = hosts.contains { Self.contains($0, bits, address) }
                }
            case .include:
                guard let inner = evaluate(target, address, &lookups, depth: depth + 1) else { return nil }
                matched = inner == .pass
            case .exists, .ptr:
                matched = false
            }
            if matched { return m.qualifier == .pass ? .pass : .notPass }
        }
        if let redirect = record.redirect {
            lookups += 1
            if lookups > SPFExpansion.lookupLimit { return nil }
            return evaluate(DNSResolver.normalize(redirect), address, &lookups, depth: depth + 1)
        }
        return .noMatch
    }

    private func record(_ domain: String) -> SPFRecord? {
        if let cached = records.withLock({ $0[domain] }) { return cached }
        var found: SPFRecord?
        if case .records(let texts) = resolver.txt(domain) {
            let spf = texts.filter(SPFRecord.isSPF)
            if spf.count == 1 { found = SPFRecord.parse(spf[0]).record }
        }
        records.withLock { $0[domain] = found }
        return found
    }

    /// The addresses of one family for a name: empty when it has none, nil when the lookup
    /// failed (a timeout must not read as "not authorised").
    private func resolve(_ name: String, ipv4: Bool) -> [IPAddress]? {
        let key = (ipv4 ? "4 " : "6 ") + name
        if let cached = addresses.withLock({ $0[key] }) { return cached }
        let answer = ipv4 ? resolver.ipv4(name) : resolver.ipv6(name)
        let out: [IPAddress]?
        switch answer {
        case .records(let texts): out = texts.compactMap(IPAddress.init)
        case .nxdomain, .noData: out = []
        default: out = nil
        }
        addresses.withLock { $0[key] = .some(out) }
        return out
    }

    /// The MX host names of a domain (empty when none; nil when the lookup failed), cached.
    private func exchangers(_ domain: String) -> [String]? {
        if let cached = exchanges.withLock({ $0[domain] }) { return cached }
        let out: [String]?
        switch resolver.mx(domain) {
        case .records(let mx): out = mx.map(\.exchange)
        case .nxdomain, .noData: out = []
        default: out = nil
        }
        exchanges.withLock { $0[domain] = .some(out) }
        return out
    }

    /// Whether `address` is in `network/bits` (same family only). IPv4 addresses are held mapped
    /// into IPv6 (`::ffff:a.b.c.d`), so an IPv4 prefix counts from bit 96.
    static func contains(_ network: IPAddress, _ bits: Int, _ address: IPAddress) -> Bool {
        guard network.isIPv4 == address.isIPv4, bits >= 0, bits <= (network.isIPv4 ? 32 : 128) else {
            return false
        }
        var remaining = network.isIPv4 ? bits + 96 : bits
        let net = network.bytes
        let addr = address.bytes
        for i in 0..<net.count where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if net[i] & mask != addr[i] & mask { return false }
            remaining -= take
        }
        return true
    }
}
