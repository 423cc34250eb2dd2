import DMARCCore
import Dispatch
import Synchronization

extension DomainChecker {
    // MARK: MX

    func checkMX(_ report: inout DomainCheck) {
        let answer = resolver.mx(report.domain)
        if let problem = dnsProblem(answer, name: report.domain) {
            report.findings.append(problem)
            return
        }
        report.mx = (answer.value ?? []).map(\.exchange)
        if report.mx.isEmpty {
            // RFC 5321 §5.1: without MX, mail goes to the domain's own address records.
            let hasAddress =
                resolver.ipv4(report.domain).value?.isEmpty == false
                || resolver.ipv6(report.domain).value?.isEmpty == false
            report.findings.append(
                hasAddress
                    ? finding(
                        .info, "mx-implicit",
                        "\(report.domain) has no MX record; mail is delivered to its A/AAAA address",
                        "Publish an MX record if the domain receives mail, or a null MX (\"0 .\") if it does not.")
                    : finding(
                        .info, "mx-none", "\(report.domain) has no MX or address record, so it receives no mail",
                        "If the domain sends no mail either, publish \"v=spf1 -all\" and \"v=DMARC1; p=reject\" to stop spoofing."
                    ))
        } else if report.mx == [""] {
            report.findings.append(
                finding(
                    .info, "mx-null", "\(report.domain) publishes a null MX (RFC 7505): it accepts no mail",
                    "Nothing to do."))
        }
    }

    // MARK: DKIM

    func checkDKIM(_ report: inout DomainCheck, selectors requested: [String]) {
        var selectors = requested.map { $0.lowercased() }
        for s in Self.commonSelectors where !selectors.contains(s) { selectors.append(s) }
        let names = selectors
        let domain = report.domain
        let results = Mutex<[Int: DomainCheck.DKIMSection]>([:])
        let problems = Mutex<[RecordFinding]>([])
        let resolver = self.resolver
        let requestedCount = requested.count
        // Selectors are independent questions: ask them concurrently, a few at a time.
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            let selector = names[i]
            let name = "\(selector)._domainkey.\(domain)"
            var section = DomainCheck.DKIMSection(selector: selector, name: name, requested: i < requestedCount)
            let answer = resolver.txt(name)
            switch answer {
            case .records(let texts):
                section.record = texts.first
                section.cnameChain = resolver.cnameChain(name)
            case .nxdomain, .noData:
                break
            default:
                if i < requestedCount, let problem = answer.problem {
                    problems.withLock {
                        $0.append(
                            RecordFinding(
                                .error, "dns-error", "\(name): \(problem)",
                                fix: "Make sure the nameserver answers for \(name)."))
                    }
                }
            }
            results.withLock { $0[i] = section }
        }
        report.findings += problems.withLock { $0 }
        var sections = results.withLock { dict in names.indices.compactMap { dict[$0] } }
        for i in sections.indices {
            guard let text = sections[i].record else {
                if sections[i].requested {
                    report.findings.append(
                        finding(
                            .error, "dkim-selector-missing", "no DKIM key at \(sections[i].name)",
                            "Publish the key your mail service gives you for selector \(sections[i].selector), or check the selector name."
                        ))
                }
                continue
            }
            let (key, findings) = DKIMKeyRecord.parse(text)
            report.findings += prefixed(findings, sections[i].name)
            sections[i].keyType = key?.keyType
            sections[i].keyBits = key?.keyBits
            sections[i].testing = key?.isTesting ?? false
            sections[i].revoked = key?.isRevoked ?? false
        }
        report.dkim = sections.filter { $0.record != nil || $0.requested }
        if report.dkim.allSatisfy({ $0.record == nil }) && requested.isEmpty {
            report.findings.append(
                finding(
                    .info, "dkim-none-found",
                    "no DKIM key found under the \(Self.commonSelectors.count) common selectors tried",
                    "DNS cannot list selectors: give yours with --dkim-selector (reports show them under auth_results/dkim/selector)."
                ))
        }
    }
}

extension DomainChecker {
    // MARK: SPF

    /// The SPF answer for one name, as the expansion needs it.
    func spfLookup(_ name: String) -> SPFLookupAnswer {
        switch resolver.txt(name) {
        case .records(let texts):
            let spf = texts.filter(SPFRecord.isSPF)
            if spf.count > 1 { return .multiple(spf) }
            return spf.first.map { .record($0) } ?? .none
        case .nxdomain, .noData:
            return .none
        case let other:
            return .error(other.problem ?? "DNS error")
        }
    }

    func checkSPF(_ report: inout DomainCheck) {
        let expansion = SPFExpansion.expand(domain: report.domain, lookup: spfLookup)
        report.spf.record = expansion.root.record
        report.spf.dnsLookups = expansion.dnsLookups
        report.spf.voidLookups = expansion.voidLookups
        var lines: [(Int, String, String?, Int)] = []
        var nodeFindings: [RecordFinding] = []
        func walk(_ node: SPFExpansionNode, depth: Int) {
            lines.append((depth, node.domain, node.record, node.lookups))
            nodeFindings += depth > 0 ? prefixed(node.findings, node.domain) : node.findings
            for child in node.children { walk(child, depth: depth + 1) }
        }
        walk(expansion.root, depth: 0)
        report.spf.tree = lines.map { (depth: $0.0, domain: $0.1, record: $0.2, lookups: $0.3) }
        report.findings += nodeFindings + expansion.findings
    }

    // MARK: MTA-STS, TLS-RPT, BIMI

    /// The one TXT record at `name` that `isRecord` accepts, reporting none, several or a DNS error.
    func singleTXT(
        _ name: String, isRecord: (String) -> Bool, code: String, what: String, into report: inout DomainCheck
    ) -> String? {
        let answer = resolver.txt(name)
        if let problem = dnsProblem(answer, name: name) {
            report.findings.append(problem)
            return nil
        }
        let records = (answer.value ?? []).filter(isRecord)
        if records.count > 1 {
            report.findings.append(
                finding(
                    .error, "\(code)-multiple-records",
                    "\(name) has \(records.count) \(what) records; receivers ignore them all",
                    "Keep exactly one."))
            return nil
        }
        return records.first
    }

    func prefixed(_ findings: [RecordFinding], _ name: String) -> [RecordFinding] {
        findings.map { f in
            var f = f
            f.message = "\(name): " + f.message
            return f
        }
    }

    func checkOthers(_ report: inout DomainCheck) {
        let domain = report.domain
        report.mtaSTS.name = "_mta-sts.\(domain)"
        report.tlsRPT.name = "_smtp._tls.\(domain)"
        report.bimi.name = "default._bimi.\(domain)"
        if let text = singleTXT(
            report.mtaSTS.name, isRecord: { $0.hasPrefix("v=STSv1") }, code: "mta-sts", what: "MTA-STS", into: &report)
        {
            report.mtaSTS.record = text
            report.findings += prefixed(MTASTSRecord.parse(text).findings, report.mtaSTS.name)
        }
        if let text = singleTXT(
            report.tlsRPT.name, isRecord: { $0.hasPrefix("v=TLSRPTv1") }, code: "tls-rpt", what: "TLS-RPT",
            into: &report)
        {
            report.tlsRPT.record = text
            report.findings += prefixed(TLSRPTRecord.parse(text).findings, report.tlsRPT.name)
        } else if report.mtaSTS.record != nil {
            report.findings.append(
                finding(
                    .warning, "tls-rpt-missing",
                    "MTA-STS is published but there is no TLS-RPT record at \(report.tlsRPT.name)",
                    "Publish \"v=TLSRPTv1; rua=mailto:tls-reports@\(domain)\" to hear about TLS failures."))
        }
        if let text = singleTXT(
            report.bimi.name, isRecord: { $0.hasPrefix("v=BIMI1") }, code: "bimi", what: "BIMI", into: &report)
        {
            report.bimi.record = text
            report.findings += prefixed(BIMIRecord.parse(text).findings, report.bimi.name)
            if let policy = report.dmarc.policy, policy == "none" {
                report.findings.append(
                    finding(
                        .warning, "bimi-needs-enforcement",
                        "BIMI is published but the DMARC policy is p=none: no logo is shown",
                        "Move the DMARC policy to quarantine or reject (dmarcwatch readiness tells when it is safe)."))
            }
        }
    }
}
