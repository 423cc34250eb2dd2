import DMARCCore
import DMARCNet

enum CheckCommand {
    static let command = Command(
        name: "check",
        summary: "Check a domain's DNS: DMARC, SPF, DKIM, MX, MTA-STS, TLS-RPT, BIMI",
        usage: """
            Usage: dmarcwatch check DOMAIN [--nameserver HOST[:PORT]] [--timeout SECONDS]
                     [--dkim-selector S]... [--json]

            Looks up and validates the domain's email-authentication records:
              DMARC    the record that applies (RFC 9989 tree walk, compared with the RFC 7489
                       public-suffix method), its tags, and that external rua/ruf hosts accept reports
              SPF      syntax, the include/redirect tree, DNS lookups (limit 10) and void lookups (limit 2)
              DKIM     the selectors given plus common ones: key type and size, testing, revoked
              MX, MTA-STS (_mta-sts), TLS-RPT (_smtp._tls) and BIMI (default._bimi)
            Then lists the findings by severity, each with what to do.

            Options:
              --nameserver H[:P]   ask this DNS server (IPv4 address) instead of the system's
              --timeout S          seconds per DNS try (default 3)
              --dkim-selector S    a DKIM selector to check (repeatable)
              --json               {"domain", "dmarc": {"record", …}, "spf": {"record", "dns_lookups",
                                   "void_lookups", …}, "dkim": [...], "findings": [{"severity", "code",
                                   "message", "fix"}]}

            Exit codes: 0 no error finding, 1 at least one error finding, 64 bad usage.

            """,
        options: ["--nameserver", "--timeout", "--dkim-selector"],
        flags: ["--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.count == 1 else { throw UsageError(message: "give one DOMAIN") }
        let domain = args.positionals[0]
        guard DomainName.isValidDNSName(DomainName.normalized(domain), minimumLabels: 1) else {
            throw UsageError(message: "\(domain) is not a valid domain name")
        }
        // Room for the longest name the check queries (selector._domainkey.DOMAIN).
        guard DomainName.normalized(domain).utf8.count <= 200 else {
            throw UsageError(
                message: "\(domain) is too long to check (the names queried under it would exceed 253 characters)")
        }
        var timeout = 3
        if let t = args.value("--timeout") {
            guard let n = Int(t), (1...60).contains(n) else {
                throw UsageError(message: "--timeout must be 1 to 60 seconds")
            }
            timeout = n
        }
        let configuration = try DNSConfiguration.from(args, timeout: timeout)
        let checker = DomainChecker(resolver: DNSResolver(configuration))
        let report = checker.check(domain: domain, selectors: args.all("--dkim-selector"))
        if args.flag("--json") {
            Console.out(DomainCheckOutput.json(report).serialized(pretty: true) + "\n")
        } else {
            Console.out(sanitized(DomainCheckOutput.human(report)))
        }
        return report.hasErrors ? ExitCode.someInputFailed : ExitCode.success
    }
}

/// The two renderings of a domain check.
enum DomainCheckOutput {
    static func findings(_ list: [RecordFinding]) -> JSONValue {
        .array(
            list.map {
                .object([
                    ("severity", .string($0.severity.rawValue)), ("code", .string($0.code)),
                    ("message", .string($0.message)),
                    ("fix", .string($0.fix)),
                ])
            })
    }

    static func json(_ r: DomainCheck) -> JSONValue {
        .object([
            ("domain", .string(r.domain)),
            ("nameserver", .string(r.nameserver)),
            (
                "dmarc",
                .object([
                    ("record", .optional(r.dmarc.record)), ("found_at", .optional(r.dmarc.foundAt)),
                    ("inherited", .bool(r.dmarc.inherited)), ("policy", .optional(r.dmarc.policy)),
                    ("tree_walk", .array(r.dmarc.treeWalkQueries.map { .string($0) })),
                    ("organizational_domain", .string(r.dmarc.organizationalDomainTreeWalk)),
                    ("organizational_domain_psl", .string(r.dmarc.organizationalDomainPSL)),
                    ("psl_record_at", .optional(r.dmarc.pslRecordAt)),
                    (
                        "external_destinations",
                        .array(
                            r.dmarc.externalDestinations.map {
                                .object([("name", .string($0.name)), ("authorized", .bool($0.authorized))])
                            })
                    ),
                ])
            ),
            (
                "spf",
                .object([
                    ("record", .optional(r.spf.record)), ("dns_lookups", .int(r.spf.dnsLookups)),
                    ("void_lookups", .int(r.spf.voidLookups)),
                    (
                        "tree",
                        .array(
                            r.spf.tree.map {
                                .object([
                                    ("depth", .int($0.depth)), ("domain", .string($0.domain)),
                                    ("record", .optional($0.record)),
                                    ("lookups", .int($0.lookups)),
                                ])
                            })
                    ),
                ])
            ),
            (
                "dkim",
                .array(
                    r.dkim.map {
                        .object([
                            ("selector", .string($0.selector)), ("name", .string($0.name)),
                            ("record", .optional($0.record)),
                            ("cname_chain", .array($0.cnameChain.map { .string($0) })),
                            ("key_type", .optional($0.keyType)),
                            ("key_bits", .optional($0.keyBits)), ("testing", .bool($0.testing)),
                            ("revoked", .bool($0.revoked)),
                        ])
                    })
            ),
            ("mx", .array(r.mx.map { .string($0) })),
            ("mta_sts", .object([("name", .string(r.mtaSTS.name)), ("record", .optional(r.mtaSTS.record))])),
            ("tls_rpt", .object([("name", .string(r.tlsRPT.name)), ("record", .optional(r.tlsRPT.record))])),
            ("bimi", .object([("name", .string(r.bimi.name)), ("record", .optional(r.bimi.record))])),
            ("findings", findings(r.findings)),
        ])
    }

    static func verdict(_ r: DomainCheck, prefix: String) -> String {
        let own = r.findings.filter { $0.code.hasPrefix(prefix) }
        if own.contains(where: { $0.severity == .error }) { return "ERROR" }
        if own.contains(where: { $0.severity == .warning }) { return "WARN " }
        return "OK   "
    }

    static func human(_ r: DomainCheck) -> String {
        var t = "DNS check of \(r.domain) (nameserver: \(r.nameserver))\n\n"
        if r.checked {
            t += sections(r)
        } else {
            t += "  Nothing was checked.\n"
        }
        if r.findings.isEmpty {
            t += "\nNo findings.\n"
            return t
        }
        for severity in [FindingSeverity.error, .warning, .info] {
            let list = r.findings.filter { $0.severity == severity }
            guard !list.isEmpty else { continue }
            t += "\n\(severity == .error ? "Errors" : severity == .warning ? "Warnings" : "Notes"):\n"
            for f in list {
                t += "  [\(f.code)] \(f.message)\n      fix: \(f.fix)\n"
            }
        }
        return t
    }

    /// One verdict line per record kind.
    static func sections(_ r: DomainCheck) -> String {
        var t = "  \(verdict(r, prefix: "dmarc"))  DMARC    "
        if let record = r.dmarc.record {
            t += "\(r.dmarc.foundAt ?? "")  \"\(record)\"\(r.dmarc.inherited ? "  (inherited)" : "")\n"
        } else {
            t += "no record\n"
        }
        t += "  \(verdict(r, prefix: "spf"))  SPF      "
        t +=
            r.spf.record.map { "\"\($0)\"  (\(r.spf.dnsLookups)/10 DNS lookups, \(r.spf.voidLookups)/2 void)" }
            ?? "no record"
        t += "\n"
        for line in r.spf.tree.dropFirst() {
            t +=
                String(repeating: "  ", count: line.depth + 8) + "\(line.domain): \(line.record ?? "(no SPF record)")\n"
        }
        let found = r.dkim.filter { $0.record != nil }
        t += "  \(verdict(r, prefix: "dkim"))  DKIM     "
        t += found.isEmpty ? "no key found for the selectors tried\n" : "\n"
        for k in found {
            let bits = k.keyBits.map { "\($0)-bit " } ?? ""
            t +=
                "             \(k.name): \(bits)\(k.keyType ?? "rsa")\(k.revoked ? " (revoked)" : "")\(k.testing ? " (testing)" : "")"
            t += k.cnameChain.isEmpty ? "\n" : " via CNAME \(k.cnameChain.joined(separator: " -> "))\n"
        }
        t += "  \(verdict(r, prefix: "mx"))  MX       \(r.mx.isEmpty ? "none" : r.mx.joined(separator: ", "))\n"
        t += "  \(verdict(r, prefix: "mta-sts"))  MTA-STS  \(r.mtaSTS.record.map { "\"\($0)\"" } ?? "no record")\n"
        t += "  \(verdict(r, prefix: "tls-rpt"))  TLS-RPT  \(r.tlsRPT.record.map { "\"\($0)\"" } ?? "no record")\n"
        t += "  \(verdict(r, prefix: "bimi"))  BIMI     \(r.bimi.record.map { "\"\($0)\"" } ?? "no record")\n"
        return t
    }
}
