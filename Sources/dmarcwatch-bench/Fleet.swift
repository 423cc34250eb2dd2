import DMARCCore

/// A deterministic fleet of domains with realistic senders, reported on every day by several
/// receivers: the data behind the dashboard benchmark and `make run`'s demo.
///
/// Each domain has its own pool of sources: its mail provider (Google Workspace or Microsoft 365,
/// aligned DKIM and SPF), an ESP with its own DKIM domain and return path (fails DMARC: "yours
/// but failing"), Amazon SES with custom DKIM (passes through DKIM), a mailing list that breaks
/// SPF and sometimes DKIM (override reason), and spoofers that fail both.
struct Fleet {
    let domains: [String]
    let firstDay: Int64
    let days: Int
    /// About this many records in all.
    let records: Int
    let seed: UInt64

    static let reporters: [(org: String, email: String)] = [
        ("google.com", "noreply-dmarc-support@google.com"), ("Outlook.com", "dmarcreport@microsoft.com"),
        ("Yahoo", "dmarchelp@yahooinc.com"), ("Mail.Ru", "dmarc_support@corp.mail.ru"),
    ]

    struct Source {
        var ip: String
        var kind: Kind
        /// Relative daily volume.
        var weight: Int
    }

    enum Kind { case provider, esp, ses, list, spoofer }

    static func domainNames(_ n: Int) -> [String] {
        let named = ["example.com", "example.jp", "example.org", "example.net"]
        return (0..<n).map { $0 < named.count ? named[$0] : "d\($0).example" }
    }

    /// The sources of one domain: `size` addresses, most volume from the provider.
    func pool(domain index: Int, size: Int) -> [Source] {
        var rng = SyntheticReport.SplitMix(state: seed &+ UInt64(index) &* 7919)
        var out: [Source] = []
        let google = index % 2 == 0
        for i in 0..<size {
            let r = rng.below(100)
            let kind: Kind = r < 35 ? .provider : r < 50 ? .esp : r < 60 ? .ses : r < 70 ? .list : .spoofer
            let ip: String
            switch kind {
            case .provider:
                ip =
                    google
                    ? "209.85.\(128 + rng.below(128)).\(rng.below(256))" : "40.107.\(rng.below(256)).\(rng.below(256))"
            case .esp: ip = "167.89.\(rng.below(128)).\(rng.below(256))"
            case .ses: ip = "54.240.\(rng.below(64)).\(rng.below(256))"
            case .list:
                ip =
                    rng.below(4) == 0
                    ? "2a01:4f8:\(String(rng.below(65536), radix: 16))::\(i)"
                    : "199.\(rng.below(256)).\(rng.below(256)).\(i % 250 + 1)"
            case .spoofer: ip = "\(100 + rng.below(120)).\(rng.below(256)).\(rng.below(256)).\(rng.below(256))"
            }
            let weight =
                kind == .provider ? 20 + rng.below(200) : kind == .spoofer ? 1 + rng.below(4) : 2 + rng.below(40)
            out.append(Source(ip: ip, kind: kind, weight: weight))
        }
        return out
    }

    /// Calls `body` with every report, domain by domain, day by day.
    func reports(_ body: (AggregateReportHeader, [AggregateRecord]) throws -> Void) rethrows {
        let perReport = max(1, records / max(domains.count * days * Self.reporters.count, 1))
        let poolSize = max(perReport * 5 / 4, 8)
        for (d, domain) in domains.enumerated() {
            let sources = pool(domain: d, size: poolSize)
            let policy = ["none", "quarantine", "reject"][d % 3]
            for day in 0..<days {
                for (r, reporter) in Self.reporters.enumerated() {
                    var rng = SyntheticReport.SplitMix(state: seed &+ UInt64(d * 1_000_003 + day * 17 + r))
                    var header = AggregateReportHeader()
                    let begin = (firstDay + Int64(day)) * 86_400
                    header.metadata.orgName = reporter.org
                    header.metadata.email = reporter.email
                    header.metadata.reportID = "\(reporter.org.lowercased())-\(domain)-\(firstDay + Int64(day))-\(seed)"
                    header.metadata.begin = begin
                    header.metadata.end = begin + 86_399
                    header.policy.domain = domain
                    header.policy.p = policy
                    header.policy.sp = policy
                    header.policy.adkim = "r"
                    header.policy.aspf = "r"
                    header.policy.pct = 100
                    var records: [AggregateRecord] = []
                    records.reserveCapacity(perReport)
                    // Each reporter sees a different slice of the pool each day.
                    let start = rng.below(sources.count)
                    for k in 0..<min(perReport, sources.count) {
                        let s = sources[(start + k * 7) % sources.count]
                        records.append(record(s, domain: domain, policy: policy, rng: &rng))
                    }
                    try body(header, records)
                }
            }
        }
    }

    func record(_ s: Source, domain: String, policy: String, rng: inout SyntheticReport.SplitMix) -> AggregateRecord {
        var r = AggregateRecord()
        r.sourceIP = s.ip
        r.sourceAddress = IPAddress(s.ip)
        r.count = Int64(max(1, s.weight / 2 + rng.below(s.weight + 1)))
        r.headerFrom = domain
        func dkim(_ d: String, _ selector: String, _ result: String) -> DKIMAuthResult {
            DKIMAuthResult(domain: d, selector: selector, result: result, humanResult: nil)
        }
        func spf(_ d: String, _ result: String) -> SPFAuthResult {
            SPFAuthResult(domain: d, scope: "mfrom", result: result, humanResult: nil)
        }
        switch s.kind {
        case .provider:
            (r.dkim, r.spf) = ("pass", "pass")
            r.dkimResults = [dkim(domain, "google", "pass")]
            r.spfResults = [spf(domain, "pass")]
        case .esp:
            (r.dkim, r.spf) = ("fail", "fail")
            r.dkimResults = [dkim("sendgrid.net", "s1", "pass")]
            r.spfResults = [spf("bounces.sendgrid.net", "pass")]
        case .ses:
            (r.dkim, r.spf) = ("pass", "fail")
            r.dkimResults = [dkim(domain, "ses", "pass"), dkim("amazonses.com", "224i4yxa", "pass")]
            r.spfResults = [spf("amazonses.com", "pass")]
        case .list:
            let intact = rng.below(2) == 0
            (r.dkim, r.spf) = (intact ? "pass" : "fail", "fail")
            r.dkimResults = [dkim(domain, "google", intact ? "pass" : "fail")]
            r.spfResults = [spf("lists.example.net", "pass")]
            r.reasons = [PolicyOverrideReason(type: "mailing_list", comment: nil)]
        case .spoofer:
            (r.dkim, r.spf) = ("fail", "fail")
            r.spfResults = [spf(domain, rng.below(2) == 0 ? "softfail" : "fail")]
        }
        let passes = r.dkim == "pass" || r.spf == "pass"
        r.disposition = passes || s.kind == .list ? "none" : policy
        return r
    }

    /// The report as RFC 7489 XML, for the demo reports `make run` imports.
    static func xml(_ h: AggregateReportHeader, _ records: [AggregateRecord]) -> String {
        func e(_ s: String?) -> String {
            (s ?? "").replacingOccurrences("&", "&amp;").replacingOccurrences("<", "&lt;")
        }
        let m = h.metadata
        let p = h.policy
        var out = """
            <?xml version="1.0" encoding="UTF-8" ?>
            <feedback>
              <report_metadata><org_name>\(e(m.orgName))</org_name><email>\(e(m.email))</email>
                <report_id>\(e(m.reportID))</report_id>
                <date_range><begin>\(m.begin ?? 0)</begin><end>\(m.end ?? 0)</end></date_range></report_metadata>
              <policy_published><domain>\(e(p.domain))</domain><adkim>\(e(p.adkim))</adkim><aspf>\(e(p.aspf))</aspf>
                <p>\(e(p.p))</p><sp>\(e(p.sp))</sp><pct>\(p.pct ?? 100)</pct></policy_published>

            """
        for r in records {
            out += "  <record><row><source_ip>\(r.sourceIP)</source_ip><count>\(r.count)</count>"
            out += "<policy_evaluated><disposition>\(e(r.disposition))</disposition><dkim>\(e(r.dkim))</dkim>"
            out += "<spf>\(e(r.spf))</spf>"
            for reason in r.reasons { out += "<reason><type>\(e(reason.type))</type></reason>" }
            out += "</policy_evaluated></row><identifiers><header_from>\(e(r.headerFrom))</header_from></identifiers>"
            out += "<auth_results>"
            for d in r.dkimResults {
                out +=
                    "<dkim><domain>\(e(d.domain))</domain><selector>\(e(d.selector))</selector><result>\(e(d.result))</result></dkim>"
            }
            for s in r.spfResults {
                out += "<spf><domain>\(e(s.domain))</domain><scope>mfrom</scope><result>\(e(s.result))</result></spf>"
            }
            out += "</auth_results></record>\n"
        }
        return out + "</feedback>\n"
    }
}
