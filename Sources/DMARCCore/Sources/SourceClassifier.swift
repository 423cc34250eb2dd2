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
        case dkimTempError = "dkim-temperror"
        case dkimStrict = "dkim-strict"
        case spfStrict = "spf-strict"
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
/// 3. Relaying the receivers or the catalogue vouch for makes it forwarded, even when the address
///    is in the domain's SPF (shared platforms such as Google's and Microsoft's are in many SPF
///    records): a receiver's `forwarded`/`mailing_list` override; a known forwarder or list
///    (named from its passing signature or SPF domain); or a mailbox provider's shared servers
///    carrying the domain's DKIM signature under another domain's envelope, which the domain's
///    own mail there never uses.
/// 4. A tie to the domain makes it yours-but-failing, with the causes found: the address is in
///    the domain's SPF; aligned SPF passes on part of its mail (the SPF record authorised it);
///    its reverse DNS is under the domain's organisation and forward-confirmed; or the domain's
///    own DKIM signature passes on part of its mail sent through a service that sends for its
///    customers (the domain's account there). Sharing a service's network is not a tie: anyone
///    can open an account at an ESP.
/// 5. Without a tie, the domain's own signature arriving intact is the forwarding signature
///    (a relay kept the signed message whole; SPF broke): forwarded, worded so that an own
///    server missing from SPF can be recognised and approved.
/// 6. Everything else is suspicious, with what is missing; a known service is named, with how to
///    approve and align it if it is the domain's.
///
/// Alignment follows RFC 7489 §3.1 with the policy's `adkim`/`aspf`: relaxed compares
/// organisational domains, strict needs the same name, each against the From domain of the
/// messages. Who signed ("your signature") is always a matter of organisation.
public struct SourceClassifier: Sendable {
    /// The organisational domain of a name (libpsl in production), for relaxed alignment.
    public let organizationalDomain: @Sendable (String) -> String
    /// The policy's DKIM alignment mode (`adkim`), relaxed unless it says `s`.
    public var adkim: DMARCRecord.AlignmentMode
    /// The policy's SPF alignment mode (`aspf`), relaxed unless it says `s`.
    public var aspf: DMARCRecord.AlignmentMode

    /// A classifier with the organisational-domain function and the policy's alignment modes.
    public init(
        organizationalDomain: @escaping @Sendable (String) -> String, adkim: DMARCRecord.AlignmentMode = .relaxed,
        aspf: DMARCRecord.AlignmentMode = .relaxed
    ) {
        self.organizationalDomain = organizationalDomain
        self.adkim = adkim
        self.aspf = aspf
    }

    /// Share of passing messages (in thousandths) from which a source counts as compliant.
    public static let compliantPerMille: Int64 = 980

    /// Whether `part / whole >= numerator / denominator`, exactly: 128-bit products, so neither
    /// rounding nor counts near `Int64.max` (hostile reports) move a threshold.
    static func share(_ part: Int64, of whole: Int64, atLeast numerator: Int64, per denominator: Int64) -> Bool {
        let l = max(part, 0).multipliedFullWidth(by: max(denominator, 0))
        let r = max(whole, 0).multipliedFullWidth(by: max(numerator, 0))
        return (l.high, l.low) >= (r.high, r.low)
    }

    static func normalized(_ name: String) -> String {
        var n = name.lowercased()
        while n.hasSuffix(".") { n.removeLast() }
        return n
    }

    /// RFC 7489 §3.1: strict alignment needs the same name; relaxed, the same organisational domain.
    public func aligned(_ name: String, with author: String, mode: DMARCRecord.AlignmentMode) -> Bool {
        let n = Self.normalized(name)
        let a = Self.normalized(author)
        if n.isEmpty || a.isEmpty { return false }
        if n == a { return true }
        return mode == .relaxed && organizationalDomain(n) == organizationalDomain(a)
    }

    /// Whether a domain belongs to the policy domain's organisation: who signed or sent, whatever
    /// the alignment mode.
    func isOurs(_ name: String, _ p: SourceProfile) -> Bool {
        aligned(name, with: p.domain, mode: .relaxed)
    }

    func ownSignatures(_ p: SourceProfile) -> [String: SourceProfile.Tally] {
        p.dkimSignatures.filter { isOurs($0.key, p) }
    }

    func ownSPF(_ p: SourceProfile) -> [String: SourceProfile.Tally] {
        p.spfDomains.filter { isOurs($0.key, p) }
    }

    func foreignSPF(_ p: SourceProfile) -> [String: SourceProfile.Tally] {
        p.spfDomains.filter { !isOurs($0.key, p) }
    }

    /// Forward-confirmed reverse DNS under the domain's own organisation.
    func ownPTR(_ p: SourceProfile) -> Bool {
        guard p.forwardConfirmed, let base = p.baseDomain ?? p.ptr else { return false }
        return isOurs(base, p)
    }

    public func classify(_ p: SourceProfile) -> ClassifiedSource {
        var out = ClassifiedSource(profile: p, sourceClass: .suspicious, decided: false, evidence: [], causes: [])
        let passes = Self.share(p.dmarcPass, of: p.messages, atLeast: Self.compliantPerMille, per: 1000)
        if let d = p.decision {
            out.decided = true
            switch d.verdict {
            case .notMine:
                out.sourceClass = .suspicious
                out.evidence.append(Explanation("decided.not-mine", [d.by], "Marked not yours by \(d.by)."))
                return out
            case .approved:
                out.evidence.append(Explanation("decided.approved", [d.by], "Approved as yours by \(d.by)."))
                if passes {
                    out.sourceClass = .compliant
                } else {
                    out.sourceClass = .yoursFailing
                    out.causes = causes(p)
                }
                return out
            }
        }
        if p.messages == 0 || passes {
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

        let relaying = relayingEvidence(p)
        if !relaying.isEmpty {
            out.sourceClass = .forwarded
            out.evidence = relaying
            return out
        }
        let ties = ownershipEvidence(p)
        if !ties.isEmpty {
            out.sourceClass = .yoursFailing
            out.evidence = ties
            if let s = p.service, s.kind.sendsForCustomers {
                out.evidence.append(
                    Explanation("own.service", [s.name], "It is \(s.name), a service that sends on customers' behalf."))
            }
            out.causes = causes(p)
            return out
        }
        let intact = ownSignatures(p).filter { $0.value.pass > 0 }
        if !intact.isEmpty {
            let d = intact.keys.sorted().joined(separator: ", ")
            out.sourceClass = .forwarded
            out.evidence = [
                Explanation(
                    "fwd.dkim-intact", [d],
                    "Your DKIM signature (d=\(d)) arrives intact from a server nothing ties to you (not in your SPF, no reverse DNS of yours): mail relayed by a forwarder, or one of your servers missing from SPF; approve it if it is yours."
                )
            ]
            return out
        }
        out.sourceClass = .suspicious
        out.evidence = suspicion(p)
        return out
    }

    /// Ties between the address and the domain: any one makes a failing source the domain's.
    func ownershipEvidence(_ p: SourceProfile) -> [Explanation] {
        var e: [Explanation] = []
        if p.authorizedBySPF == true {
            e.append(Explanation("own.in-spf", [p.domain], "The address is in \(p.domain)'s SPF record."))
        }
        if ownPTR(p) {
            let name = p.ptr ?? p.baseDomain ?? ""
            e.append(
                Explanation(
                    "own.ptr", [name], "Its reverse DNS (\(name)) is under your own domain and forward-confirmed."))
        }
        if p.spfAlignedPass > 0 {
            // A forwarder's passing share comes from intact DKIM; an aligned SPF pass means the
            // domain's own SPF record authorised the address.
            e.append(
                Explanation(
                    "own.spf-aligned", ["\(p.spfAlignedPass)", "\(p.messages)"],
                    "SPF passes aligned with your domain on \(p.spfAlignedPass) of its \(p.messages) messages: your SPF record authorises it."
                ))
        }
        if let s = p.service, s.kind.sendsForCustomers {
            let signed = ownSignatures(p).filter { $0.value.pass > 0 }
            if !signed.isEmpty {
                let d = signed.keys.sorted().joined(separator: ", ")
                e.append(
                    Explanation(
                        "own.signed-via-service", [d, s.name],
                        "Your DKIM signature (d=\(d)) passes on part of its mail sent through \(s.name): your account there."
                    ))
            }
        }
        return e
    }

    /// Relaying that outweighs "in your SPF": what receivers and the catalogue say.
    func relayingEvidence(_ p: SourceProfile) -> [Explanation] {
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
        let own = ownSignatures(p)
        if let s = p.service, s.kind == .mailbox, !own.isEmpty {
            // The domain's own mail on a mailbox provider uses the domain as envelope, and passes
            // SPF when the provider is in the record; another domain's envelope beside the
            // domain's signature is another customer of the provider relaying the mail.
            let foreign = foreignSPF(p)
            if !foreign.isEmpty, !ownSPF(p).values.contains(where: { $0.fail > 0 }) {
                let d = foreign.keys.sorted().joined(separator: ", ")
                e.append(
                    Explanation(
                        "fwd.shared-mailbox", [s.name, d],
                        "It is \(s.name)'s shared servers, with your DKIM signature under another domain's envelope (SPF for \(d)); your own mail there uses your domain: another \(s.name) customer relays yours."
                    ))
            }
        }
        guard !e.isEmpty, !own.isEmpty, !ownSPF(p).values.contains(where: { $0.pass > 0 }) else { return e }
        let d = own.keys.sorted().joined(separator: ", ")
        if own.values.contains(where: { $0.pass > 0 }) {
            e.append(
                Explanation(
                    "fwd.dkim-relayed", [d], "Your DKIM signature (d=\(d)) arrives intact: your mail, relayed."))
        } else {
            // A broken signature can be forged: it counts only beside another sign of relaying.
            e.append(
                Explanation(
                    "fwd.dkim-broken", [d],
                    "Your DKIM signature (d=\(d)) arrives broken from a server of another domain: mail relayed and modified, as mailing lists do."
                ))
        }
        return e
    }

    /// What is wrong with a source of the domain's own, and how to fix each.
    public func causes(_ p: SourceProfile) -> [FailureCause] {
        var out: [FailureCause] = []
        let serviceName = p.service?.name ?? "the sending service"
        func authors(_ keys: some Sequence<SourceProfile.AuthKey>) -> String {
            Set(keys.map(\.author)).sorted().joined(separator: ", ")
        }
        func domains(_ keys: some Sequence<SourceProfile.AuthKey>) -> String {
            Set(keys.map(\.domain)).sorted().joined(separator: ", ")
        }
        if p.dkimAlignedPass < p.messages {
            let alignedResults = p.dkimResults.filter { aligned($0.key.domain, with: $0.key.author, mode: adkim) }
            let alignedByDomain = SourceProfile.byDomain(alignedResults).sorted { $0.key < $1.key }
            let unaligned = p.dkimResults.filter {
                !aligned($0.key.domain, with: $0.key.author, mode: adkim) && $0.value.pass > 0
            }
            if let broken = alignedByDomain.first(where: { $0.value.fail > 0 }) {
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
            } else if let unsure = alignedByDomain.first(where: { $0.value.temperror > 0 }) {
                out.append(
                    FailureCause(
                        code: .dkimTempError,
                        message: Explanation(
                            "cause.dkim-temperror", [unsure.key, "\(unsure.value.temperror)"],
                            "Receivers could not check its DKIM signatures by \(unsure.key) on \(unsure.value.temperror) messages (a temporary error, usually looking up the key)."
                        ),
                        fix: Explanation(
                            "fix.dkim-temperror", [],
                            "Make sure the selector's key record answers quickly from every name server of the domain (no timeouts, no SERVFAIL; a long key split into strings of at most 255 characters)."
                        ), serviceAdvice: nil))
            } else if !unaligned.isEmpty {
                let d = domains(unaligned.keys)
                let a = authors(unaligned.keys)
                if adkim == .strict, unaligned.keys.allSatisfy({ isOurs($0.domain, p) }) {
                    out.append(
                        FailureCause(
                            code: .dkimStrict,
                            message: Explanation(
                                "cause.dkim-strict", [d, a],
                                "DKIM is signed by \(d), not exactly by \(a) as adkim=s requires."),
                            fix: Explanation(
                                "fix.dkim-strict", [a], "Sign with d=\(a) exactly, or relax the policy to adkim=r."),
                            serviceAdvice: nil))
                } else {
                    out.append(
                        FailureCause(
                            code: .dkimThirdParty,
                            message: Explanation(
                                "cause.dkim-third-party", [d, a], "DKIM is signed by \(d), not by \(a)."),
                            fix: Explanation(
                                "fix.dkim-third-party", [serviceName, a],
                                "Set up custom DKIM in \(serviceName) so it signs with d=\(a) (usually CNAME or TXT records it gives you)."
                            ), serviceAdvice: advice(p.service?.alignDKIM)))
                }
            } else if p.unsigned > 0 || p.dkimResults.isEmpty {
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
            let unaligned = p.spfResults.filter {
                !aligned($0.key.domain, with: $0.key.author, mode: aspf) && $0.value.pass > 0
            }
            let failingOwn = ownSPF(p).filter { $0.value.fail > 0 }
            if !unaligned.isEmpty {
                let d = domains(unaligned.keys)
                let a = authors(unaligned.keys)
                if aspf == .strict, unaligned.keys.allSatisfy({ isOurs($0.domain, p) }) {
                    out.append(
                        FailureCause(
                            code: .spfStrict,
                            message: Explanation(
                                "cause.spf-strict", [d, a],
                                "SPF passes for \(d), not exactly for \(a) as aspf=s requires."),
                            fix: Explanation(
                                "fix.spf-strict", [a],
                                "Send with a return-path (envelope) domain of exactly \(a), or relax the policy to aspf=r."
                            ),
                            serviceAdvice: nil))
                } else {
                    out.append(
                        FailureCause(
                            code: .spfNotAligned,
                            message: Explanation(
                                "cause.spf-not-aligned", [d, a], "SPF passes for \(d), which is not aligned with \(a)."),
                            fix: Explanation(
                                "fix.spf-not-aligned", [p.domain, serviceName],
                                "Use a custom return-path (bounce) domain under \(p.domain) in \(serviceName); with DKIM aligned this is optional."
                            ), serviceAdvice: advice(p.service?.alignSPF)))
                }
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
        let spfCause: Set<FailureCause.Code> = [.spfFails, .spfNotAligned, .spfStrict]
        if p.authorizedBySPF == false, !out.contains(where: { spfCause.contains($0.code) }) {
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

    /// Why a failing source without a tie or relaying evidence looks like spoofing.
    func suspicion(_ p: SourceProfile) -> [Explanation] {
        var e: [Explanation] = []
        if let s = p.service, s.kind.sendsForCustomers {
            // A service's network vouches for nobody: anyone can open an account there.
            let align = advice(s.alignDKIM) ?? "set it up to sign with d=\(p.domain)."
            e.append(
                Explanation(
                    "sus.service", [s.name, p.domain, align],
                    "It is sent through \(s.name), which sends for many customers, and nothing ties it to \(p.domain). If you use \(s.name), approve this source and align it: \(align)"
                ))
        }
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
        let mapped = p.service.flatMap { $0.kind == .network ? $0.name : nil }
        if let org = p.asOrganization ?? p.networkOwner ?? mapped {
            let name = org + (p.asn.map { " (AS\($0))" } ?? "")
            e.append(Explanation("sus.network", [name], "Its network is \(name)."))
        } else if p.service == nil {
            e.append(Explanation("sus.unknown-network", [], "Its network is not a known sending service."))
        }
        if p.authorizedBySPF == false {
            e.append(Explanation("sus.not-in-spf", [p.domain], "It is not in \(p.domain)'s SPF record."))
        }
        return e
    }
}
