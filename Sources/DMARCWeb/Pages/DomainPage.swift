import DMARCCore
import DMARCStore

/// One domain: the policy it publishes, its daily chart and its sources by organisation.
enum DomainPage {
    struct Data {
        var domain: String
        var period: Period
        var reporter: String?
        var failingOnly: Bool
        var series: DomainSeries
        var before: Totals
        var policy: PublishedPolicy?
        var reporters: [String]
        var groups: [SourceGroup]
        /// With a reporter or "failing only" filter: the totals of the sources listed.
        var filtered: Totals?
    }

    static func load(_ c: RequestContext, domain raw: String) throws -> Data {
        let domain = try c.requireDomain(raw)
        let anchor = try Period.anchor(c.store, domains: [domain])
        let period = try Period.parse(c.request, anchor: anchor)
        let reporter = c.request.query("reporter").flatMap { $0.isEmpty ? nil : $0 }
        let failingOnly = c.request.query("failing") == "1"
        let series =
            try c.store.domainSeries(domains: [domain], fromDay: period.from, toDay: period.to).first
            ?? DomainSeries(domain: domain)
        let before =
            try c.store.domainSeries(domains: [domain], fromDay: period.previous.from, toDay: period.previous.to).first?
            .total ?? Totals()
        var sources = try c.store.domainSources(
            domain: domain, fromDay: period.from, toDay: period.to, reporter: reporter)
        if failingOnly { sources = sources.filter { $0.totals.dmarcPass < $0.totals.messages } }
        var filtered: Totals?
        if reporter != nil || failingOnly {
            var t = Totals()
            for s in sources { t.add(s.totals) }
            filtered = t
        }
        return Data(
            domain: domain, period: period, reporter: reporter, failingOnly: failingOnly, series: series,
            before: before, policy: try c.store.publishedPolicy(domain: domain),
            reporters: try c.store.reporters(domain: domain, fromDay: period.from, toDay: period.to),
            groups: SourceGroup.group(sources), filtered: filtered)
    }

    static func render(_ c: RequestContext, domain raw: String) throws -> HTTPResponse {
        let t = c.t
        let d = try load(c, domain: raw)
        let path = "/domains/\(urlComponent(d.domain))"
        let keep: [(String, String?)] = [("reporter", d.reporter), ("failing", d.failingOnly ? "1" : nil)]
        let reporterOptions =
            [HTML("<option value=\"\">\(t("domain.allReporters"))</option>")]
            + d.reporters.map { r -> HTML in
                "<option value=\"\(r)\"\(r == d.reporter ? HTML(" selected") : .empty)>\(r)</option>"
            }
        let filters: HTML = """
            <label>\(t("domain.reporter"))<select name="reporter">\(reporterOptions)</select></label>
            <label><span><input type="checkbox" name="failing" value="1"\(d.failingOnly ? HTML(" checked") : .empty)> \(t("domain.failingOnly"))</span></label>
            """
        let rows = d.groups.prefix(500).map { g in groupRows(c, g, period: d.period) }
        let sourcesTable: HTML =
            d.groups.isEmpty
            ? Layout.notice(t("domain.noSources"))
            : """
            <div class="table-wrap"><table><thead><tr><th>\(t("col.organisation"))</th><th class="num">\(t("col.messages"))</th>
            <th>\(t("col.spfAligned"))</th><th>\(t("col.dkimAligned"))</th><th>\(t("col.dmarc"))</th>
            <th class="num">\(t("col.none"))</th><th class="num">\(t("col.quarantine"))</th><th class="num">\(t("col.reject"))</th></tr></thead>
            <tbody>\(Array(rows))</tbody></table></div>
            """
        let body: HTML = """
            <h1>\(d.domain)</h1>
            \(Layout.periodPicker(c, d.period, path: path, keep: keep, extra: filters))
            \(d.filtered.map { Layout.totalsCards(c, $0, Totals()) + Layout.notice(t("domain.filteredNote")) } ?? Layout.totalsCards(c, d.series.total, d.before))
            <h2>\(t("domain.policy"))</h2>
            \(policyPanel(c, d.policy))
            <h2>\(t("overview.daily"))</h2>
            \(Chart.daily(d.series.days, from: d.period.from, to: d.period.to, t: t))
            <h2>\(t("domain.sources"))</h2>
            \(!d.groups.isEmpty && !d.groups.contains(where: \.named) ? Layout.notice(t("domain.notEnriched")) : .empty)
            \(sourcesTable)
            <p class="no-print"><a href="\(path)/sources\(queryString(d.period.queryPairs))">\(t("domain.sourcesLink"))</a> · <a href="\(path)/readiness\(queryString(d.period.queryPairs))">\(t("readiness.link"))</a> · <a href="\(path)/summary">\(t("domain.summaryLink"))</a> · <a href="/reports\(queryString([("domain", d.domain)]))">\(t("domain.reportsLink"))</a> · <a href="\(path)/dns">\(t("domain.dnsLink"))</a></p>
            """
        return Layout.page(c, title: d.domain, section: "domains", body: body)
    }

    static func groupRows(_ c: RequestContext, _ g: SourceGroup, period: Period) -> HTML {
        let t = c.t
        func cells(_ x: Totals) -> HTML {
            """
            <td class="num">\(t.number(x.messages))</td><td>\(Chart.share(x.spfPass, of: x.messages, t: t))</td>
            <td>\(Chart.share(x.dkimPass, of: x.messages, t: t))</td><td>\(Chart.share(x.dmarcPass, of: x.messages, t: t))</td>
            <td class="num">\(t.number(Counts.difference(Counts.difference(x.messages, x.quarantined), x.rejected)))</td><td class="num">\(t.number(x.quarantined))</td>
            <td class="num">\(t.number(x.rejected))</td>
            """
        }
        func link(_ s: SourceSummary) -> HTML {
            let label = s.ptr.map { "\(s.ip) (\($0))" } ?? s.ip
            return
                "<a class=\"ip\" href=\"/sources/\(urlComponent(s.ip))\(queryString(period.queryPairs))\">\(label)</a>"
        }
        if g.sources.count == 1, let s = g.sources.first {
            let name: HTML = g.named ? "<strong>\(g.name)</strong><br>\(link(s))" : link(s)
            return "<tr><td class=\"wrap\">\(name)</td>\(cells(s.totals))</tr>"
        }
        let inner = g.sources.prefix(200).map { s -> HTML in
            "<tr><td class=\"wrap\">\(link(s))</td>\(cells(s.totals))</tr>"
        }
        return """
            <tr><td class="wrap"><details><summary><strong>\(g.name)</strong> · \(t("domain.addresses", t.number(g.sources.count)))</summary>
            <div class="table-wrap"><table><tbody>\(Array(inner))</tbody></table></div></details></td>\(cells(g.totals))</tr>
            """
    }

    static func policyPanel(_ c: RequestContext, _ p: PublishedPolicy?) -> HTML {
        let t = c.t
        guard let p else { return Layout.notice(t("domain.noPolicy")) }
        let fields: [(String, String?)] = [
            ("p", p.p), ("sp", p.sp), ("np", p.np), ("adkim", p.adkim), ("aspf", p.aspf),
            ("pct", p.pct.map(String.init)), ("t", p.testing), ("fo", p.fo),
        ]
        let items = fields.compactMap { k, v in v.map { v -> HTML in "<span class=\"badge\">\(k)=\(v)</span> " } }
        return """
            <div class="panel">\(items)<p class="muted">\(t("domain.policySource", p.reporter, t.dateTime(p.reportEnd)))</p></div>
            """
    }
}
