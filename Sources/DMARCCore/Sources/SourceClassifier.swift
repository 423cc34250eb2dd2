/// The four kinds of source a DMARC monitor sorts traffic into.
public enum SourceClass: String, Sendable, CaseIterable {
    /// Passes DMARC.
    case compliant
    /// Sends for the domain legitimately but fails DMARC: fix it before enforcing.
    case yoursFailing = "yours-failing"
    /// Forwarders and mailing lists relaying the domain's mail; they break SPF and sometimes DKIM.
    case forwarded
    /// Fails and nothing says it is the domain's: most likely spoofing.
    case suspicious
}

/// Why a source of the domain's own fails, and what fixes it.
public struct FailureCause: Sendable, Equatable {
    public enum Code: String, Sendable {
        case spfNotAligned = "spf-not-aligned"
        case dkimThirdParty = "dkim-third-party"
        case noDKIM = "no-dkim"
        case dkimFails = "dkim-fails"
        case notInSPF = "not-in-spf"
        case spfFails = "spf-fails"
    }

    public var code: Code
    public var message: Explanation
    /// The generic fix, in words a UI can translate.
    public var fix: Explanation
    /// The sending service's own instructions (English, from the catalogue), when known.
    public var serviceAdvice: String?

    /// The fix to show in English: the service's instructions where known, else the generic one.
    public var fixText: String { serviceAdvice ?? fix.description }
}

/// A source with its class and the evidence for it.
public struct ClassifiedSource: Sendable, Equatable {
    public var profile: SourceProfile
    public var sourceClass: SourceClass
    /// True when the class comes from an administrator's decision rather than the evidence.
    public var decided: Bool
    /// Plain sentences: why this class.
    public var evidence: [Explanation]
    /// For sources of the domain's own that fail: each cause with its fix.
    public var causes: [FailureCause]
}

/// Sorts sources into classes from report evidence and enrichment, explaining each choice.
///
/// The rules, in order:
/// 1. An administrator's decision wins: "not mine" is suspicious; "approved" is the domain's own
///    (compliant when it passes, else yours-but-failing).
/// 2. A source passing DMARC on at least 98% of its messages is compliant.
/// 3. Forwarding evidence (a receiver's `forwarded`/`mailing_list` override, a known forwarder,
///    or the domain's own DKIM signature arriving from a server whose SPF domain is someone
///    else's) makes it forwarded, unless the address is also authorised by the domain's SPF.
/// 4. Ownership evidence (the address is in the domain's SPF; the PTR is under the domain's own
///    organisational domain and forward-confirmed; part of its mail passes DMARC; a recognised
///    mailbox provider, ESP or application with a forward-confirmed PTR) makes it yours-but-failing,
///    with the causes found.
/// 5. Everything else is suspicious, with what is missing.
public struct SourceClassifier: Sendable {
    /// The organisational domain of a name (libpsl in production), for relaxed alignment.
    public let organizationalDomain: @Sendable (String) -> String

    public init(organizationalDomain: @escaping @Sendable (String) -> String) {
        self.organizationalDomain = organizationalDomain
    }

    /// Share of passing messages (in thousandths) from which a source counts as compliant.
    public static let compliantPerMille: Int64 = 980

    func aligned(_ name: String, with domain: String) -> Bool {
        let n = name.lowercased()
        let d = domain.lowercased()
        return n == d || organizationalDomain(n) == organizationalDomain(d)
    }

    public func classify(_ p: SourceProfile) -> ClassifiedSource {
        var out = ClassifiedSource(profile: p, sourceClass: .suspicious, decided: false, evidence: [], causes: [])
        // In floating point: counts from hostile reports can be near Int64.max.
        let passShare = p.messages > 0 ? Int64(Double(p.dmarcPass) / Double(p.messages) * 1000) : 0
        if let d = p.decision {
            out.decided = true
            switch d.verdict {
            case .notMine:
                out.sourceClass = .suspicious
                out.evidence.append(Explanation("decided.not-mine", [d.by], "Marked not yours by \(d.by)."))
                return out
            case .approved:
                out.evidence.append(Explanation("decided.approved", [d.by], "Approved as yours by \(d.by)."))
                if passShare >= Self.compliantPerMille {
                    out.sourceClass = .compliant
                } else {
                    out.sourceClass = .yoursFailing
                    out.causes = causes(p)
                }
                return out
            }
        }
        if p.messages == 0 || passShare >= Self.compliantPerMille {
            out.sourceClass = .compliant
            out.evidence.append(
                p.dmarcPass == p.messages
                    ? Explanation("compliant.all", [], "Every message passes DMARC.")
                    : Explanation(
                        "compliant.most", ["\(p.dmarcPass)", "\(p.messages)"],
                        "\(p.dmarcPass) of \(p.messages) messages pass DMARC."))
            if p.dkimAlignedPass > 0 {
                out.evidence.append(Explanation("compliant.dkim", [], "DKIM signed by an aligned domain."))
            }
            if p.spfAlignedPass > 0 {
                out.evidence.append(Explanation("compliant.spf", [], "SPF passes for an aligned domain."))
            }
            return out
        }

        let own = ownershipEvidence(p)
        let forwarding = forwardingEvidence(p)
        if !forwarding.isEmpty && p.authorizedBySPF != true {
            out.sourceClass = .forwarded
            out.evidence = forwarding
            return out
        }
        if !own.isEmpty {
            out.sourceClass = .yoursFailing
            out.evidence = own
            out.causes = causes(p)
            return out
        }
        out.sourceClass = .suspicious
        out.evidence = suspicion(p)
        return out
    }

    /// Signs that the address sends for the domain legitimately.
    func ownershipEvidence(_ p: SourceProfile) -> [Explanation] {
        var e: [Explanation] = []
        if p.authorizedBySPF == true {
            e.append(Explanation("own.in-spf", [p.domain], "The address is in \(p.domain)'s SPF record."))
        }
        if let base = p.baseDomain, p.forwardConfirmed, aligned(base, with: p.domain) {
            let name = p.ptr ?? base
            e.append(
                Explanation(
                    "own.ptr", [name], "Its reverse DNS (\(name)) is under your own domain and forward-confirmed."))
        }
        if p.dmarcPass > 0 {
            e.append(
                Explanation(
                    "own.partial", ["\(p.dmarcPass)", "\(p.messages)"],
                    "\(p.dmarcPass) of its \(p.messages) messages pass DMARC, so it can sign or send as you."))
        }
        if let s = p.service, s.kind != .forwarder {
            // The service's own DKIM signature passing proves the mail left through it; which
            // account sent it, only the administrator knows.
            let serviceSigned = p.dkimSignatures.contains { !aligned($0.key, with: p.domain) && $0.value.pass > 0 }
            if p.forwardConfirmed || p.authorizedBySPF == true {
                e.append(
                    Explanation("own.service", [s.name], "It is \(s.name), a service that sends on customers' behalf."))
            } else if serviceSigned {
                e.append(
                    Explanation(
                        "own.service-signed", [s.name],
                        "It is \(s.name) (its DKIM signature passes): check that the account is yours, then approve it."
                    ))
            }
        }
        return e
    }

    /// Signs that the address relays mail the domain sent elsewhere.
    func forwardingEvidence(_ p: SourceProfile) -> [Explanation] {
        var e: [Explanation] = []
        if p.forwardedOverrides > 0 {
            e.append(
                Explanation(
                    "fwd.override", ["\(p.forwardedOverrides)"],
                    "Receivers marked \(p.forwardedOverrides) messages as forwarded or from a mailing list."))
        }
        if let s = p.service, s.kind == .forwarder {
            e.append(Explanation("fwd.service", [s.name], "It is \(s.name), which forwards or redistributes mail."))
        }
        let ownSignatures = p.dkimSignatures.filter { aligned($0.key, with: p.domain) }
        let foreignSPF = !p.spfDomains.isEmpty && p.spfDomains.keys.allSatisfy { !aligned($0, with: p.domain) }
        if !ownSignatures.isEmpty && foreignSPF {
            let d = ownSignatures.keys.sorted().joined(separator: ", ")
            if ownSignatures.values.contains(where: { $0.pass > 0 }) {
                // A passing signature of the domain cannot be forged: the mail was the domain's.
                e.append(
                    Explanation(
                        "fwd.dkim-intact", [d],
                        "Your DKIM signature (d=\(d)) arrives intact from a server of another domain: relayed mail."))
            } else if !e.isEmpty {
                // A broken one can be: it counts only beside another sign of forwarding.
                e.append(
                    Explanation(
                        "fwd.dkim-broken", [d],
                        "Your DKIM signature (d=\(d)) arrives broken from a server of another domain: mail relayed and modified, as mailing lists do."
                    ))
            }
        }
        return e
    }

    /// What is wrong with a source of the domain's own, and how to fix each.
    public func causes(_ p: SourceProfile) -> [FailureCause] {
        var out: [FailureCause] = []
        let serviceName = p.service?.name ?? "the sending service"
        let ownSignatures = p.dkimSignatures.filter { aligned($0.key, with: p.domain) }
        let foreignSignatures = p.dkimSignatures.filter { !aligned($0.key, with: p.domain) && $0.value.pass > 0 }
        if p.dkimAlignedPass < p.messages {
            if let broken = ownSignatures.sorted(by: { $0.key < $1.key }).first(where: { $0.value.fail > 0 }) {
                out.append(
                    FailureCause(
                        code: .dkimFails,
                        message: Explanation(
                            "cause.dkim-fails", [broken.key, "\(broken.value.fail)"],
                            "Its DKIM signatures by \(broken.key) fail on \(broken.value.fail) messages."),
                        fix: Explanation(
                            "fix.dkim-fails", [],
                            "Check that the selector's public key is published and matches the signing key, and that nothing rewrites messages after signing."
                        ), serviceAdvice: nil))
            } else if !foreignSignatures.isEmpty {
                let d = foreignSignatures.keys.sorted().joined(separator: ", ")
                out.append(
                    FailureCause(
                        code: .dkimThirdParty,
                        message: Explanation(
                            "cause.dkim-third-party", [d, p.domain], "DKIM is signed by \(d), not by \(p.domain)."),
                        fix: Explanation(
                            "fix.dkim-third-party", [serviceName, p.domain],
                            "Set up custom DKIM in \(serviceName) so it signs with d=\(p.domain) (usually CNAME or TXT records it gives you)."
                        ), serviceAdvice: advice(p.service?.alignDKIM)))
            } else if p.unsigned > 0 || p.dkimSignatures.isEmpty {
                out.append(
                    FailureCause(
                        code: .noDKIM,
                        message: Explanation("cause.no-dkim", [], "Its messages carry no DKIM signature."),
                        fix: Explanation(
                            "fix.no-dkim", [p.domain], "Turn on DKIM signing with d=\(p.domain) and publish the key."),
                        serviceAdvice: advice(p.service?.alignDKIM)))
            }
        }
        if p.spfAlignedPass < p.messages {
            let passingForeign = p.spfDomains.filter { !aligned($0.key, with: p.domain) && $0.value.pass > 0 }
            let failingOwn = p.spfDomains.filter { aligned($0.key, with: p.domain) && $0.value.fail > 0 }
            if !passingForeign.isEmpty {
                let d = passingForeign.keys.sorted().joined(separator: ", ")
                out.append(
                    FailureCause(
                        code: .spfNotAligned,
                        message: Explanation(
                            "cause.spf-not-aligned", [d, p.domain],
                            "SPF passes for \(d), which is not aligned with \(p.domain)."),
                        fix: Explanation(
                            "fix.spf-not-aligned", [p.domain, serviceName],
                            "Use a custom return-path (bounce) domain under \(p.domain) in \(serviceName); with DKIM aligned this is optional."
                        ), serviceAdvice: advice(p.service?.alignSPF)))
            } else if !failingOwn.isEmpty {
                let d = failingOwn.keys.sorted().joined(separator: ", ")
                out.append(
                    FailureCause(
                        code: .spfFails, message: Explanation("cause.spf-fails", [d], "SPF fails for \(d)."),
                        fix: Explanation(
                            "fix.spf-fails", [],
                            "Authorise this address in the SPF record (an include: for the service, or ip4:/ip6:)."),
                        serviceAdvice: nil))
            }
        }
        if p.authorizedBySPF == false, !out.contains(where: { $0.code == .spfFails || $0.code == .spfNotAligned }) {
            out.append(
                FailureCause(
                    code: .notInSPF,
                    message: Explanation(
                        "cause.not-in-spf", [p.ip, p.domain], "The address \(p.ip) is not in \(p.domain)'s SPF record."),
                    fix: Explanation(
                        "fix.not-in-spf", [],
                        "Add the sending service's include: (or the address) to the SPF record, within 10 DNS lookups."),
                    serviceAdvice: nil))
        }
        return out
    }

    /// Catalogue advice, when the catalogue has some.
    func advice(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    /// Why a failing source without ownership or forwarding evidence looks like spoofing.
    func suspicion(_ p: SourceProfile) -> [Explanation] {
        var e: [Explanation] = []
        if p.dkimAlignedPass == 0 && p.spfAlignedPass == 0 {
            e.append(Explanation("sus.both-fail", [], "It fails both DKIM and SPF alignment."))
        }
        if let ptr = p.ptr {
            if !p.forwardConfirmed {
                e.append(
                    Explanation(
                        "sus.ptr-unconfirmed", [ptr], "Its reverse DNS name (\(ptr)) does not resolve back to it."))
            }
        } else {
            e.append(Explanation("sus.no-ptr", [], "It has no reverse DNS name."))
        }
        if p.service == nil && p.asOrganization == nil && p.networkOwner == nil {
            e.append(Explanation("sus.unknown-network", [], "Its network is not a known sending service."))
        } else if let org = p.asOrganization ?? p.networkOwner {
            let name = org + (p.asn.map { " (AS\($0))" } ?? "")
            e.append(Explanation("sus.network", [name], "Its network is \(name)."))
        }
        if p.authorizedBySPF == false {
            e.append(Explanation("sus.not-in-spf", [p.domain], "It is not in \(p.domain)'s SPF record."))
        }
        return e
    }

}
