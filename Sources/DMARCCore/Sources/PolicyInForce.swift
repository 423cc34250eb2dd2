/// The DMARC record a domain publishes, as alignment and readiness use it, and where it was read.
///
/// Nothing in an aggregate report is authenticated: anyone can send one claiming `p=reject`. So
/// the live record in DNS comes first; the newest report's `policy_published` is the fallback
/// when DNS cannot be asked, and the origin says which one was used.
public struct PolicyInForce: Sendable, Equatable {
    public enum Origin: String, Sendable {
        /// The `_dmarc` TXT record, fetched now.
        case dns
        /// The newest report's `policy_published` (it shows no `rua`, `ruf` or unknown tags).
        case report
    }

    /// The record: parsed from DNS, or made of what the report shows.
    public var record: DMARCRecord
    /// Where `record` was read.
    public var origin: Origin
    /// Why the live record was not used, when the origin is a report; nil when DNS was not asked.
    public var dnsProblem: String?

    /// A policy from a record already at hand.
    public init(record: DMARCRecord, origin: Origin, dnsProblem: String? = nil) {
        self.record = record
        self.origin = origin
        self.dnsProblem = dnsProblem
    }

    /// The live record, parsed; nil when the text is not a DMARC record.
    public init?(dns text: String) {
        guard let record = DMARCRecord.parse(text).record else { return nil }
        self.init(record: record, origin: .dns)
    }

    /// What a report's `policy_published` shows, as a record. Values the grammar does not accept
    /// are left out (a report is no authority on them).
    public init(
        reportP p: String?, sp: String? = nil, np: String? = nil, adkim: String? = nil, aspf: String? = nil,
        fo: String? = nil, testing: String? = nil, pct: Int? = nil, dnsProblem: String? = nil
    ) {
        var r = DMARCRecord(p: p.flatMap(DMARCPolicy.init(value:)))
        r.sp = sp.flatMap(DMARCPolicy.init(value:))
        r.np = np.flatMap(DMARCPolicy.init(value:))
        r.adkim = adkim.flatMap { DMARCRecord.AlignmentMode(rawValue: $0.lowercased()) }
        r.aspf = aspf.flatMap { DMARCRecord.AlignmentMode(rawValue: $0.lowercased()) }
        if let fo {
            let options = fo.lowercased().split(separator: ":").compactMap {
                DMARCRecord.FailureOption(rawValue: String($0))
            }
            if !options.isEmpty, !(options.contains(.allFail) && options.contains(.anyFail)) {
                r.fo = Array(options.prefix(4))
            }
        }
        switch testing?.lowercased() {
        case "y": r.t = true
        case "n": r.t = false
        default: break
        }
        if let pct, (0...100).contains(pct) { r.pct = pct }
        self.init(record: r, origin: .report, dnsProblem: dnsProblem)
    }

    /// The live record when DNS gave one, else the report's policy with why DNS was not used.
    /// `dns` nil: DNS was not asked (`--no-dns`).
    public static func choose(dns: (record: String?, problem: String?)?, report: PolicyInForce?) -> PolicyInForce? {
        if let text = dns?.record, let live = PolicyInForce(dns: text) { return live }
        guard var fallback = report else { return nil }
        if let dns { fallback.dnsProblem = dns.problem ?? "the TXT record is not a DMARC record" }
        return fallback
    }

    /// DKIM alignment the policy asks for (`r` by default).
    public var adkim: DMARCRecord.AlignmentMode { record.effectiveADKIM }
    /// SPF alignment the policy asks for (`r` by default).
    public var aspf: DMARCRecord.AlignmentMode { record.effectiveASPF }

    /// Where the domain stands on the ladder `Readiness` walks: 0 monitoring (`p=none` or no
    /// policy); 1 quarantine in test (`t=y`, or `pct` under 25); 2 quarantine on at least a
    /// quarter; 3 on at least half; 4 quarantine on all mail; 5 reject in test (`t=y` or
    /// `pct` under 100: RFC 7489 receivers quarantine what falls outside the sample); 6 reject.
    public var ladderStep: Int {
        guard let p = record.effectivePolicy else { return 0 }
        let pct = record.pct ?? 100
        switch p {
        case .none: return 0
        case .quarantine:
            if record.isTesting || pct < 25 { return 1 }
            if pct < 50 { return 2 }
            return pct < 100 ? 3 : 4
        case .reject:
            return record.isTesting || pct < 100 ? 5 : 6
        }
    }

    /// The policy part of the record in its own syntax, e.g. `p=quarantine; t=y; pct=0`.
    public var summary: String {
        guard let p = record.effectivePolicy else { return "no policy" }
        var parts = ["p=\(p.rawValue)"]
        if let t = record.t { parts.append("t=\(t ? "y" : "n")") }
        if let pct = record.pct { parts.append("pct=\(pct)") }
        return parts.joined(separator: "; ")
    }
}
