/// A DMARC policy record (TXT at `_dmarc.<domain>`), read per RFC 9989 §4.7–4.8 with the
/// RFC 7489 tags it removed (`pct`, `rf`, `ri`) still understood (SPEC §1.2–1.3, §2.1).
///
/// Every tag is optional here; `nil` means "not in the record". The `effective…` properties
/// apply the defaults receivers use. `parse` keeps whatever can be kept and reports the rest as
/// findings; `render` writes the canonical form, and parsing a rendered record gives it back.
public struct DMARCRecord: Sendable, Equatable {
    /// `adkim` / `aspf`: how closely the authenticated domain must match the From domain.
    public enum AlignmentMode: String, Sendable, Codable, CaseIterable {
        /// `r`: the same Organizational Domain is enough (the default).
        case relaxed = "r"
        /// `s`: the domains must be identical.
        case strict = "s"
    }

    /// One `fo` option: when to send a failure report.
    public enum FailureOption: String, Sendable, Codable, CaseIterable {
        /// `0`: when every mechanism fails to give an aligned pass (the default).
        case allFail = "0"
        /// `1`: when any mechanism fails to give an aligned pass.
        case anyFail = "1"
        /// `d`: when a DKIM signature fails, aligned or not.
        case dkim = "d"
        /// `s`: when SPF fails, aligned or not.
        case spf = "s"
    }

    /// `psd`: whether the record is published by a Public Suffix Domain (RFC 9989 §4.7).
    public enum PublicSuffixFlag: String, Sendable, Codable, CaseIterable {
        /// `y`: a Public Suffix Domain's record.
        case yes = "y"
        /// `n`: this domain is its own Organizational Domain.
        case no = "n"
        /// `u`: unknown; use the DNS tree walk (the default).
        case unknown = "u"
    }

    /// `p`: policy for the domain itself. `nil` when absent or invalid.
    public var p: DMARCPolicy?
    /// `sp`: policy for existing subdomains.
    public var sp: DMARCPolicy?
    /// `np`: policy for non-existent subdomains (RFC 9989, from RFC 9091).
    public var np: DMARCPolicy?
    /// `adkim`: DKIM alignment mode.
    public var adkim: AlignmentMode?
    /// `aspf`: SPF alignment mode.
    public var aspf: AlignmentMode?
    /// `fo`: failure-report options, in the order written.
    public var fo: [FailureOption]?
    /// `psd`: Public Suffix Domain flag.
    public var psd: PublicSuffixFlag?
    /// `t`: test mode (`t=y` is `true`). Receivers apply the policy one level lower.
    public var t: Bool?
    /// `rua`: aggregate report destinations that parsed as URIs, in order.
    public var rua: [ReportURI] = []
    /// `ruf`: failure report destinations that parsed as URIs, in order.
    public var ruf: [ReportURI] = []
    /// Legacy `pct` (RFC 7489), 0–100. RFC 9989 removed it; `t=y` replaces `pct=0`.
    public var pct: Int?
    /// Legacy `rf` (RFC 7489), the failure report format, lower-cased (only `afrf` exists).
    public var rf: String?
    /// Legacy `ri` (RFC 7489), the requested aggregate report interval in seconds.
    public var ri: UInt32?
    /// Tags no DMARC version defines, kept as written; receivers ignore them.
    public var unknownTags: [RecordTag] = []
    /// Known tags whose value was invalid and was replaced by the default, as written. Not
    /// rendered. An invalid `p`, `sp` or `np` changes `effectivePolicy` (RFC 9989 §4.10.1).
    public var invalidTags: [RecordTag] = []

    /// Makes a record; set the other tags through the properties.
    public init(p: DMARCPolicy? = nil) {
        self.p = p
    }

    /// The policy receivers apply to the domain, or `nil` when they do no DMARC processing.
    ///
    /// RFC 9989 §4.10.1: when `p` is missing or invalid, or `sp` or `np` is invalid, a record with
    /// at least one syntactically valid `rua` URI is treated as `p=none`, and any other record is
    /// not acted on.
    public var effectivePolicy: DMARCPolicy? {
        if let p, !usesFallbackPolicy { return p }
        return rua.isEmpty ? nil : DMARCPolicy.none
    }

    /// The policy for existing subdomains: `sp`, else the domain's policy.
    public var effectiveSP: DMARCPolicy? {
        guard let base = effectivePolicy else { return nil }
        return usesFallbackPolicy ? base : (sp ?? base)
    }

    /// The policy for non-existent subdomains: `np`, else `sp`, else the domain's policy.
    public var effectiveNP: DMARCPolicy? {
        guard let base = effectivePolicy else { return nil }
        return usesFallbackPolicy ? base : (np ?? sp ?? base)
    }

    /// Whether RFC 9989 §4.10.1 applies: `p` is missing, or `p`, `sp` or `np` was invalid.
    var usesFallbackPolicy: Bool {
        p == nil || invalidTags.contains { ["p", "sp", "np"].contains($0.name.lowercased()) }
    }

    /// DKIM alignment, `r` unless `adkim=s`.
    public var effectiveADKIM: AlignmentMode { adkim ?? .relaxed }
    /// SPF alignment, `r` unless `aspf=s`.
    public var effectiveASPF: AlignmentMode { aspf ?? .relaxed }
    /// Failure-report options, `0` by default. Receivers ignore them without `ruf`.
    public var effectiveFailureOptions: [FailureOption] { fo ?? [.allFail] }
    /// The Public Suffix Domain flag, `u` by default.
    public var effectivePSD: PublicSuffixFlag { psd ?? .unknown }
    /// Whether the record asks for test mode (`t=y`).
    public var isTesting: Bool { t ?? false }

    /// The canonical record text: `v` first, then `p`, `sp`, `np`, `adkim`, `aspf`, `t`, `psd`,
    /// `rua`, `ruf`, `fo`, then legacy `pct`, `rf`, `ri` and unknown tags only if set, joined by
    /// `"; "`. Example: `v=DMARC1; p=reject; rua=mailto:dmarc@example.com`.
    public func render() -> String {
        var parts = ["v=DMARC1"]
        if let p { parts.append("p=\(p.rawValue)") }
        if let sp { parts.append("sp=\(sp.rawValue)") }
        if let np { parts.append("np=\(np.rawValue)") }
        if let adkim { parts.append("adkim=\(adkim.rawValue)") }
        if let aspf { parts.append("aspf=\(aspf.rawValue)") }
        if let t { parts.append("t=\(t ? "y" : "n")") }
        if let psd { parts.append("psd=\(psd.rawValue)") }
        if !rua.isEmpty { parts.append("rua=" + rua.map(\.description).joined(separator: ",")) }
        if !ruf.isEmpty { parts.append("ruf=" + ruf.map(\.description).joined(separator: ",")) }
        if let fo, !fo.isEmpty { parts.append("fo=" + fo.map(\.rawValue).joined(separator: ":")) }
        if let pct { parts.append("pct=\(pct)") }
        if let rf { parts.append("rf=\(rf)") }
        if let ri { parts.append("ri=\(ri)") }
        for tag in unknownTags { parts.append(tag.description) }
        return parts.joined(separator: "; ")
    }
}
