import DMARCCore
import DMARCStore

/// All domains at a glance: volume, pass rates, the daily chart and what changed.
enum OverviewPage {
    struct Data {
        var period: Period
        var current: [DomainSeries]
        var previous: [String: Totals]
        var policies: [String: PublishedPolicy]
        var total = Totals()
        var totalBefore = Totals()
        var days: [Int64: Totals] = [:]
    }

    static func load(_ c: RequestContext) throws -> Data {
        let anchor = try Period.anchor(c.store, domains: c.visibleDomains)
        let period = try Period.parse(c.request, anchor: anchor)
        let current = try c.store.domainSeries(domains: c.visibleDomains, fromDay: period.from, toDay: period.to)
        var previous: [String: Totals] = [:]
        for s in try c.store.domainSeries(
            domains: c.visibleDomains, fromDay: period.previous.from, toDay: period.previous.to)
        {
            previous[s.domain] = s.total
        }
        var data = Data(period: period, current: current, previous: previous, policies: [:])
        for s in current {
            data.total.add(s.total)
            for (day, t) in s.days { data.days[day, default: Totals()].add(t) }
            data.policies[s.domain] = try c.store.publishedPolicy(domain: s.domain)
        }
        for t in previous.values { data.totalBefore.add(t) }
        return data
    }

    static func render(_ c: RequestContext) throws -> HTTPResponse {
        let t = c.t
        let d = try load(c)
        var rows: [HTML] = []
        for s in d.current {
            let before = d.previous[s.domain] ?? Totals()
            var change = HTML("<span class=\"muted\">\(t("overview.new"))</span>")
            if before.messages > 0 {
                let pp =
                    Double(s.total.dmarcPass) * 100 / Double(max(s.total.messages, 1)) - Double(before.dmarcPass) * 100
                    / Double(before.messages)
                change = "\(t.points(pp))"
            }
            let policy = d.policies[s.domain]?.p ?? "–"
            rows.append(
                """
                <tr><td class="wrap"><a href="/domains/\(urlComponent(s.domain))\(queryString(d.period.queryPairs))">\(s.domain)</a></td>
                <td class="num">\(t.number(s.total.messages))</td>
                <td>\(Chart.share(s.total.dmarcPass, of: s.total.messages, t: t))</td>
                <td class="num">\(t.percent(s.total.dkimPass, of: s.total.messages))</td>
                <td class="num">\(t.percent(s.total.spfPass, of: s.total.messages))</td>
                <td>\(Chart.share(s.total.bothFail, of: s.total.messages, t: t, kind: "fail"))</td>
                <td class="num">\(change)</td><td>p=\(policy)</td></tr>
                """)
        }
        let table: HTML =
            rows.isEmpty
            ? Layout.notice(t("overview.empty"))
            : """
            <div class="table-wrap"><table><thead><tr><th>\(t("col.domain"))</th><th class="num">\(t("col.messages"))</th>
            <th>\(t("col.dmarc"))</th><th class="num">\(t("col.dkim"))</th><th class="num">\(t("col.spf"))</th>
            <th>\(t("col.bothFail"))</th><th class="num">\(t("col.change"))</th><th>\(t("col.policy"))</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
        let body: HTML = """
            <h1>\(t("overview.title"))</h1>
            \(Layout.periodPicker(c, d.period, path: "/"))
            \(Layout.totalsCards(c, d.total, d.totalBefore))
            <h2>\(t("overview.daily"))</h2>
            \(Chart.daily(d.days, from: d.period.from, to: d.period.to, t: t))
            <h2>\(t("overview.domains"))</h2>
            \(table)
            <p class="muted">\(t("overview.explain"))</p>
            """
        return Layout.page(c, title: t("overview.title"), section: "overview", body: body)
    }
}
