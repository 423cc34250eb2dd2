import DMARCCore

/// One DMARC record found at a name during discovery.
public struct DiscoveredRecord: Sendable, Equatable {
    /// The name queried, without `_dmarc.`.
    public var domain: String
    /// The record text (TXT strings joined).
    public var text: String
    /// The `psd` tag's value, `u` when absent (RFC 9989 editor clarification (a)).
    public var psd: String
}

/// The outcome of looking for the DMARC policy that applies to a domain.
public struct PolicyDiscovery: Sendable {
    public enum Method: String, Sendable { case treewalk, psl }

    public var method: Method
    /// The names queried, in order (`_dmarc.` names).
    public var queried: [String] = []
    /// The record that applies, if discovery found exactly one at a name.
    public var record: DiscoveredRecord?
    /// Names where several DMARC records were found (all discarded, RFC 9989 §4.10).
    public var multiple: [String] = []
    /// Names whose query failed (not NXDOMAIN/no data): discovery cannot conclude there.
    public var errors: [(name: String, problem: String)] = []
    /// The organisational domain this method gives for the starting domain.
    public var organizationalDomain: String
    /// Every valid record the walk saw (tree walk only), longest name first.
    public var seen: [DiscoveredRecord] = []
}

/// DMARC policy discovery, both ways: the RFC 9989 DNS tree walk and the RFC 7489 public-suffix
/// organisational domain, so the checker can say where they differ.
public struct DMARCPolicyFinder: Sendable {
    public let resolver: DNSResolver
    public let psl: PublicSuffixList

    public init(resolver: DNSResolver, psl: PublicSuffixList = .shared) {
        self.resolver = resolver
        self.psl = psl
    }

    /// The DMARC records (those starting with `v=DMARC1`) at `_dmarc.<domain>`.
    func dmarcRecords(at domain: String) -> DNSResult<[String]> {
        resolver.txt("_dmarc.\(domain)").map { $0.filter(Self.isDMARC) }
    }

    /// The one DMARC record published at `_dmarc.<domain>` itself (no tree walk), or why there
    /// is none, in words for a page.
    public func publishedRecord(_ domain: String) -> (record: String?, problem: String?) {
        let found = publishedRecordExplained(domain)
        return (found.record, found.problem?.description)
    }

    /// `publishedRecord`, with the problem as an explanation a UI can show in another language.
    public func publishedRecordExplained(_ domain: String) -> (record: String?, problem: Explanation?) {
        switch resolver.txt("_dmarc." + domain) {
        case .records(let texts):
            let records = texts.filter(Self.isDMARC)
            if records.count == 1 { return (records[0], nil) }
            if records.count > 1 {
                return (
                    nil,
                    Explanation(
                        "dns.several", [String(records.count)],
                        "\(records.count) DMARC records: receivers ignore them all.")
                )
            }
            return (nil, Explanation("dns.not-dmarc", [], "TXT records exist, but none is a DMARC record (v=DMARC1)."))
        case .nxdomain: return (nil, Explanation("dns.nxdomain", [], "The name does not exist (NXDOMAIN)."))
        case .noData: return (nil, Explanation("dns.no-txt", [], "The name has no TXT record."))
        case .timeout: return (nil, Explanation("dns.timeout", [], "The DNS server did not answer."))
        case .serverFailure(let rcode):
            return (nil, Explanation("dns.server-failure", [String(rcode)], "The DNS server failed (rcode \(rcode))."))
        default: return (nil, Explanation("dns.failed", [], "The lookup failed."))
        }
    }

    /// A TXT value is a DMARC record when the record grammar accepts its version (`v=DMARC1`
    /// first, case-sensitive value); other problems in it do not make it "not DMARC".
    public static func isDMARC(_ text: String) -> Bool {
        DMARCRecord.parse(text).record != nil
    }

    /// The record's `psd` value, `u` when absent (RFC 9989 editor clarification (a)).
    static func psdValue(_ text: String) -> String {
        DMARCRecord.parse(text).record?.effectivePSD.rawValue ?? "u"
    }

    /// RFC 9989 §4.10: the author domain first, then its parents (at most eight queries; a name
    /// of more than eight labels jumps to its last seven), down to the TLD. A name with several
    /// DMARC records counts as none. The walk stops at a record with `psd=y` or `psd=n`.
    public func treeWalk(_ domain: String) -> PolicyDiscovery {
        let start = DNSResolver.normalize(domain)
        var labels = start.split(separator: ".").map(String.init)
        var result = PolicyDiscovery(method: .treewalk, organizationalDomain: start)
        var first = true
        while !labels.isEmpty {
            let name = labels.joined(separator: ".")
            result.queried.append("_dmarc.\(name)")
            let answer = dmarcRecords(at: name)
            switch answer {
            case .records(let texts) where texts.count == 1:
                let found = DiscoveredRecord(domain: name, text: texts[0], psd: Self.psdValue(texts[0]))
                result.seen.append(found)
                if result.record == nil { result.record = found }
            case .records(let texts) where texts.count > 1:
                result.multiple.append(name)
            case .records, .nxdomain, .noData:
                break
            default:
                result.errors.append((name, answer.problem ?? "DNS error"))
            }
            if let last = result.seen.last, last.domain == name, last.psd == "y" || last.psd == "n" { break }
            if first && labels.count > 8 {
                labels = Array(labels.suffix(7))
            } else {
                labels.removeFirst()
            }
            first = false
        }
        result.organizationalDomain = Self.organizationalDomain(start: start, seen: result.seen)
        return result
    }

    /// RFC 9989 §4.10.2 over the records a walk saw: `psd=n` names the organisational domain;
    /// `psd=y` above the start makes it the name one label below; otherwise the record with the
    /// fewest labels; with no record, the start itself.
    static func organizationalDomain(start: String, seen: [DiscoveredRecord]) -> String {
        let ordered = seen.sorted { $0.domain.split(separator: ".").count > $1.domain.split(separator: ".").count }
        if let n = ordered.first(where: { $0.psd == "n" }) { return n.domain }
        if let y = ordered.first(where: { $0.psd == "y" && $0.domain != start }) {
            let startLabels = start.split(separator: ".")
            let depth = y.domain.split(separator: ".").count + 1
            return startLabels.suffix(depth).joined(separator: ".")
        }
        if let fewest = ordered.last { return fewest.domain }
        return start
    }

    /// RFC 7489 §6.6.3: the author domain, then the public-suffix organisational domain.
    public func publicSuffixDiscovery(_ domain: String) -> PolicyDiscovery {
        let start = DNSResolver.normalize(domain)
        let org = psl.organizationalDomain(start)
        var result = PolicyDiscovery(method: .psl, organizationalDomain: org)
        for name in start == org ? [start] : [start, org] {
            result.queried.append("_dmarc.\(name)")
            let answer = dmarcRecords(at: name)
            switch answer {
            case .records(let texts) where texts.count == 1:
                result.record = DiscoveredRecord(domain: name, text: texts[0], psd: Self.psdValue(texts[0]))
                return result
            case .records(let texts) where texts.count > 1:
                // RFC 7489: several records end discovery with no policy.
                result.multiple.append(name)
                return result
            case .records, .nxdomain, .noData:
                continue
            default:
                result.errors.append((name, answer.problem ?? "DNS error"))
                return result
            }
        }
        return result
    }

    /// RFC 7489 §7.1 / RFC 9990 §4: whether `destination` accepts reports about `domain`:
    /// a `v=DMARC1` record at `<domain>._report._dmarc.<destination>`, or the wildcard.
    public func verifyExternalDestination(domain: String, destination: String) -> ExternalDestinationCheck {
        let name = "\(DNSResolver.normalize(domain))._report._dmarc.\(DNSResolver.normalize(destination))"
        if name.count > 253 {
            return ExternalDestinationCheck(name: name, authorized: false, problem: "the name is too long for DNS")
        }
        let answer = resolver.txt(name)
        if let texts = answer.value, texts.contains(where: Self.isDMARC) {
            return ExternalDestinationCheck(name: name, authorized: true, problem: nil)
        }
        if let problem = answer.problem, !answer.isEmpty {
            return ExternalDestinationCheck(name: name, authorized: false, problem: problem)
        }
        return ExternalDestinationCheck(name: name, authorized: false, problem: nil)
    }
}

/// The result of an external destination check.
public struct ExternalDestinationCheck: Sendable, Equatable {
    /// The name queried.
    public var name: String
    public var authorized: Bool
    /// A DNS problem that prevented a conclusion.
    public var problem: String?
}
