import DMARCCore
import Dispatch
import Synchronization

/// Everything `dmarcwatch check` found for one domain.
public struct DomainCheck: Sendable {
    public var domain: String
    public var nameserver: String
    public var dmarc = DMARCSection()
    public var spf = SPFSection()
    public var dkim: [DKIMSection] = []
    public var mx: [String] = []
    public var mtaSTS = TXTSection()
    public var tlsRPT = TXTSection()
    public var bimi = TXTSection()
    public var findings: [RecordFinding] = []
    /// False when the nameserver did not answer and nothing was checked.
    public var checked = true

    public var hasErrors: Bool { findings.contains { $0.severity == .error } }

    public struct DMARCSection: Sendable {
        /// The record that applies, as published.
        public var record: String?
        /// Where it was found (`_dmarc.<name>`).
        public var foundAt: String?
        /// Whether it was found at the domain itself or inherited from a parent.
        public var inherited = false
        /// The policy that applies to this domain (p, or sp/np when inherited).
        public var policy: String?
        public var treeWalkQueries: [String] = []
        public var organizationalDomainTreeWalk: String = ""
        public var organizationalDomainPSL: String = ""
        public var pslRecordAt: String?
        public var externalDestinations: [ExternalDestinationCheck] = []
    }

    public struct SPFSection: Sendable {
        public var record: String?
        public var dnsLookups = 0
        public var voidLookups = 0
        /// The include/redirect tree, one line per node, indented by depth.
        public var tree: [(depth: Int, domain: String, record: String?, lookups: Int)] = []
    }

    public struct DKIMSection: Sendable {
        public var selector: String
        public var name: String
        public var record: String?
        public var cnameChain: [String] = []
        public var keyType: String?
        public var keyBits: Int?
        public var testing = false
        public var revoked = false
        /// Asked for by the user, rather than guessed from the common list.
        public var requested = false
    }

    public struct TXTSection: Sendable {
        public var name = ""
        public var record: String?
    }
}

/// Runs the DNS health checks of `dmarcwatch check` against a resolver.
public struct DomainChecker: Sendable {
    public let resolver: DNSResolver
    public let psl: PublicSuffixList

    /// Selectors tried when none are given: those of the large senders (SPEC §5.3). DNS cannot
    /// list selectors, so this is a guess; selectors seen in reports are better.
    public static let commonSelectors = [
        "default", "dkim", "mail", "email", "google", "selector1", "selector2", "k1", "k2", "k3", "mandrill", "s1",
        "s2",
        "smtpapi", "ctct1", "ctct2", "zendesk1", "zendesk2", "sig1", "proofpoint", "ppk1", "mimecast", "mxvault",
    ]

    public init(resolver: DNSResolver, psl: PublicSuffixList = .shared) {
        self.resolver = resolver
        self.psl = psl
    }

    public func check(domain: String, selectors: [String] = []) -> DomainCheck {
        let name = DNSResolver.normalize(domain)
        var report = DomainCheck(
            domain: name,
            nameserver: resolver.configuration.server.map { "\($0):\(resolver.configuration.port)" } ?? "system")
        // One probe first: a nameserver that does not answer gives one clear finding, not dozens.
        let probe = resolver.txt("_dmarc.\(name)")
        switch probe {
        case .timeout, .failure:
            report.findings.append(
                finding(
                    .error, "dns-error",
                    "the nameserver \(report.nameserver) does not answer: \(probe.problem ?? "no answer")",
                    "Check the --nameserver address and port, and that the server is running."))
            report.checked = false
            return report
        default:
            break
        }
        checkDMARC(&report)
        checkSPF(&report)
        checkDKIM(&report, selectors: selectors)
        checkMX(&report)
        checkOthers(&report)
        report.findings.sort { $0.severity > $1.severity }
        return report
    }

    func finding(_ severity: FindingSeverity, _ code: String, _ message: String, _ fix: String) -> RecordFinding {
        RecordFinding(severity, code, message, fix: fix)
    }

    /// A finding for a DNS answer that is neither records nor "nothing there".
    func dnsProblem<T>(_ result: DNSResult<T>, name: String) -> RecordFinding? {
        guard result.value == nil, !result.isEmpty, let problem = result.problem else { return nil }
        return finding(
            .error, "dns-error", "\(name): \(problem)",
            "Check that the nameserver answers (dig TXT \(name)); the check cannot conclude without an answer.")
    }

    // MARK: DMARC

    func checkDMARC(_ report: inout DomainCheck) {
        let finder = DMARCPolicyFinder(resolver: resolver, psl: psl)
        let walk = finder.treeWalk(report.domain)
        let viaPSL = finder.publicSuffixDiscovery(report.domain)
        report.dmarc.treeWalkQueries = walk.queried
        report.dmarc.organizationalDomainTreeWalk = walk.organizationalDomain
        report.dmarc.organizationalDomainPSL = viaPSL.organizationalDomain
        report.dmarc.pslRecordAt = viaPSL.record.map { "_dmarc.\($0.domain)" }
        for (name, problem) in walk.errors {
            report.findings.append(
                finding(
                    .error, "dns-error", "_dmarc.\(name): \(problem)",
                    "Make sure the nameserver answers for _dmarc.\(name)."))
        }
        for name in walk.multiple {
            report.findings.append(
                finding(
                    .error, "dmarc-multiple-records",
                    "_dmarc.\(name) has more than one DMARC record, so receivers ignore all of them",
                    "Publish exactly one TXT record starting with v=DMARC1 at _dmarc.\(name)."))
        }
        guard let found = walk.record else {
            if walk.errors.isEmpty {
                report.findings.append(
                    finding(
                        .error, "dmarc-missing", "no DMARC record applies to \(report.domain)",
                        "Publish a record at _dmarc.\(report.domain), e.g. \"v=DMARC1; p=none; rua=mailto:dmarc@\(report.domain)\" (dmarcwatch record generate helps)."
                    ))
            }
            return
        }
        report.dmarc.record = found.text
        report.dmarc.foundAt = "_dmarc.\(found.domain)"
        report.dmarc.inherited = found.domain != report.domain
        let (record, findings) = DMARCRecord.parse(found.text)
        report.findings += prefixed(findings, "_dmarc.\(found.domain)")
        guard let record else { return }
        if report.dmarc.inherited {
            let exists = !(resolver.query(report.domain, type: DNSType.a).isNXDOMAIN)
            let applied = exists ? record.effectiveSP : record.effectiveNP
            report.dmarc.policy = applied?.rawValue
            report.findings.append(
                finding(
                    .info, "dmarc-inherited",
                    "\(report.domain) has no record of its own; it inherits \(exists ? "sp" : "np")=\(applied?.rawValue ?? "none") from _dmarc.\(found.domain) (RFC 9989 tree walk)",
                    "Nothing to do if that policy is intended; publish _dmarc.\(report.domain) to set its own."))
        } else {
            report.dmarc.policy = record.effectivePolicy?.rawValue
        }
        if viaPSL.record?.domain != found.domain || viaPSL.organizationalDomain != walk.organizationalDomain {
            report.findings.append(
                finding(
                    .warning, "dmarc-discovery-differs",
                    "RFC 9989 receivers (tree walk) use _dmarc.\(found.domain) with organisational domain \(walk.organizationalDomain); RFC 7489 receivers (public suffix list) use \(viaPSL.record.map { "_dmarc.\($0.domain)" } ?? "no record") with organisational domain \(viaPSL.organizationalDomain)",
                    "Publish a record at the author domain itself so both kinds of receiver find the same policy."))
        }
        // External report destinations (RFC 9990 §4).
        let policyOrg = psl.organizationalDomain(found.domain)
        var hosts: [String] = []
        for uri in record.rua + record.ruf {
            guard let host = uri.host.map(DNSResolver.normalize), !hosts.contains(host) else { continue }
            hosts.append(host)
            guard psl.organizationalDomain(host) != policyOrg else { continue }
            var check = finder.verifyExternalDestination(domain: found.domain, destination: host)
            if !check.authorized {
                let wildcard = finder.verifyExternalDestination(domain: "*", destination: host)
                if wildcard.authorized { check = wildcard }
            }
            report.dmarc.externalDestinations.append(check)
            if let problem = check.problem {
                report.findings.append(
                    finding(
                        .error, "dns-error", "\(check.name): \(problem)",
                        "Make sure the nameserver answers for \(check.name)."))
            } else if !check.authorized {
                report.findings.append(
                    finding(
                        .warning, "dmarc-external-destination-unauthorized",
                        "\(host) has not authorised reports about \(found.domain): receivers will drop them",
                        "Ask the owner of \(host) to publish TXT \(found.domain)._report._dmarc.\(host) \"v=DMARC1;\""))
            }
        }
    }
}

extension DNSResult {
    var isNXDOMAIN: Bool {
        if case .nxdomain = self { return true }
        return false
    }
}
