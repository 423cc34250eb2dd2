import DMARCCore

/// The JSON shapes of classified sources and readiness, shared by the API and the command line.
public enum SourceJSON {
    public static func source(_ s: ClassifiedSource) -> JSONValue {
        let p = s.profile
        return .object([
            ("ip", .string(p.ip)), ("class", .string(s.sourceClass.rawValue)), ("decided", .bool(s.decided)),
            ("messages", .int(p.messages)), ("dmarc_pass", .int(p.dmarcPass)),
            ("dkim_aligned_pass", .int(p.dkimAlignedPass)),
            ("spf_aligned_pass", .int(p.spfAlignedPass)), ("quarantined", .int(p.quarantined)),
            ("rejected", .int(p.rejected)), ("forwarded_overrides", .int(p.forwardedOverrides)),
            ("days", .int(p.activeDays)), ("reporters", .array(p.reporters.sorted().map { .string($0) })),
            ("ptr", .optional(p.ptr)), ("forward_confirmed", .bool(p.forwardConfirmed)),
            ("base_domain", .optional(p.baseDomain)), ("country", .optional(p.country)), ("asn", .optional(p.asn)),
            ("as_organization", .optional(p.asOrganization)), ("network_owner", .optional(p.networkOwner)),
            (
                "service",
                p.service.map {
                    .object([("id", .string($0.id)), ("name", .string($0.name)), ("kind", .string($0.kind.rawValue))])
                } ?? .null
            ),
            ("in_spf", p.authorizedBySPF.map { .bool($0) } ?? .null),
            ("dkim_domains", tallies(p.dkimSignatures)),
            ("spf_domains", tallies(p.spfDomains)),
            ("header_from", .array(p.authorDomains.sorted().map { .string($0) })),
            ("evidence", .array(s.evidence.map { .string($0.description) })),
            ("evidence_codes", .array(s.evidence.map { .string($0.code) })),
            (
                "causes",
                .array(
                    s.causes.map {
                        .object([
                            ("code", .string($0.code.rawValue)), ("message", .string($0.message.description)),
                            ("fix", .string($0.fixText)),
                        ])
                    })
            ),
        ])
    }

    static func tallies(_ t: [String: SourceProfile.Tally]) -> JSONValue {
        .object(
            t.sorted { $0.key < $1.key }.map {
                (
                    $0.key,
                    .object([
                        ("pass", .int($0.value.pass)), ("fail", .int($0.value.fail)),
                        ("temperror", .int($0.value.temperror)),
                    ])
                )
            })
    }

    public static func readiness(_ r: Readiness, period: JSONValue) -> JSONValue {
        func verdict(_ v: Readiness.Verdict) -> JSONValue {
            .object([
                ("policy", .string(v.policy)), ("ready", .bool(v.ready)),
                ("reasons", .array(v.reasons.map { .string($0.description) })),
            ])
        }
        return .object([
            ("domain", .string(r.domain)), ("period", period), ("days", .int(r.days)),
            ("policy_published", .optional(r.currentPolicy)),
            (
                "policy",
                r.policy.map { p in
                    .object([
                        ("origin", .string(p.origin.rawValue)), ("record", .string(p.record.render())),
                        ("dns_problem", .optional(p.dnsProblem)),
                    ])
                } ?? .null
            ),
            ("policy_source", .string(r.policySource.description)), ("ladder_step", .int(r.ladderStep)),
            ("messages_by_class", .object(SourceClass.allCases.map { ($0.rawValue, .int(r.totals[$0] ?? 0)) })),
            ("quarantine", verdict(r.quarantine)), ("reject", verdict(r.reject)),
            (
                "simulations",
                .array(
                    r.simulations.map { s in
                        .object([
                            ("policy", .string(s.policy)), ("messages", .int(s.messages)),
                            ("per_day", .double(s.perDay)),
                            ("forwarded_messages", .int(s.forwardedMessages)),
                            ("suspicious_messages", .int(s.blockedSpoofing)),
                            (
                                "sources",
                                .array(
                                    s.lines.map {
                                        .object([
                                            ("ip", .string($0.ip)), ("name", .string($0.name)),
                                            ("class", .string($0.sourceClass.rawValue)),
                                            ("messages", .int($0.messages)),
                                            ("per_day", .double($0.perDay)),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
            (
                "plan",
                .array(
                    r.plan.map {
                        .object([
                            ("code", .string($0.explanation.code)), ("record", .string($0.record)),
                            ("explanation", .string($0.explanation.description)),
                        ])
                    })
            ),
        ])
    }
}
