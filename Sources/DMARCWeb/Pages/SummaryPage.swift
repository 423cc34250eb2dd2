import DMARCCore
import DMARCStore

/// A printable weekly or monthly summary of one domain: totals, pass rates, top, failing and
/// spoofing sources, and the changes since the period before.
enum SummaryPage {
    struct Data {
        var domain: String
        var kind: String
        var period: Period
        var now: Totals
        var before: Totals
        var top: [SourceSummary]
        var failing: [SourceSummary]
        var spoofing: [SourceSummary]
        var newSources: [SourceSummary]
        var newSourceCount: Int
        var goneSources: Int
    }

    /// The messages of a source that failed DMARC.
    static func failures(_ s: SourceSummary) -> Int64 { Counts.difference(s.totals.messages, s.totals.dmarcPass) }

    static func load(_ c: RequestContext, domain raw: String) throws -> Data {
        let domain = try c.requireDomain(raw)
        let kind = c.request.query("period") ?? "week"
        guard kind == "week" || kind == "month" else { throw WebError.invalid("error.summaryKind", []) }
        var end = try Period.anchor(c.store, domains: [domain])
        if let text = c.request.query("end") {
            guard let day = DayMath.day(fromISO: text) else { throw WebError.invalid("error.badDate", ["end"]) }
            end = day
        }
        let days: Int64 = kind == "week" ? 7 : 30
        let period = Period(from: end - days + 1, to: end, name: kind)
        let series = try c.store.domainSeries(domains: [domain], fromDay: period.from, toDay: period.to).first
        let before = try c.store.domainSeries(
            domains: [domain], fromDay: period.previous.from, toDay: period.previous.to
        ).first
        let sources = try c.store.domainSources(domain: domain, fromDay: period.from, toDay: period.to)
        let previous = Set(
            try c.store.domainSources(domain: domain, fromDay: period.previous.from, toDay: period.previous.to).map(
                \.ip))
        let current = Set(sources.map(\.ip))
        return Data(
            domain: domain, kind: kind, period: period, now: series?.total ?? Totals(),
            before: before?.total ?? Totals(),
            top: Array(sources.prefix(10)),
            failing: Array(
                sources.filter { $0.totals.dmarcPass < $0.totals.messages }
                    .sorted { failures($0) > failures($1) }
                    .prefix(10)),
            spoofing: Array(sources.filter { $0.totals.dmarcPass == 0 && $0.totals.bothFail > 0 }.prefix(10)),
            newSources: Array(sources.filter { !previous.contains($0.ip) }.prefix(10)),
            newSourceCount: current.subtracting(previous).count,
            goneSources: previous.subtracting(current).count)
    }

    static func render(_ c: RequestContext, domain raw: String) throws -> HTTPResponse {
        let t = c.t
        let d = try load(c, domain: raw)
        func table(_ sources: [SourceSummary], failing: Bool = false) -> HTML {
            guard !sources.isEmpty else { return "<p class=\"muted\">\(t("summary.none"))</p>" }
            let rows = sources.map { s -> HTML in
                """
                <tr><td class="wrap"><a class="ip" href="/sources/\(urlComponent(s.ip))">\(s.ip)</a>\(s.ptr.map { " (\($0))" } ?? "")</td><td class="num">\(t.number(s.totals.messages))</td>
                <td class="num">\(t.number(failing ? failures(s) : s.totals.dmarcPass))</td>
                <td class="num">\(t.percent(s.totals.dmarcPass, of: s.totals.messages))</td></tr>
                """
            }
            return """
                <div class="table-wrap"><table><thead><tr><th>\(t("col.source"))</th><th class="num">\(t("col.messages"))</th>
                <th class="num">\(failing ? t("summary.failed") : t("summary.passed"))</th><th class="num">\(t("col.dmarc"))</th></tr></thead>
                <tbody>\(rows)</tbody></table></div>
                """
        }
        let path = "/domains/\(urlComponent(d.domain))/summary"
        let body: HTML = """
            <p class="no-print periods"><a href="\(path)?period=week"\(d.kind == "week" ? HTML(" class=\"here\"") : .empty)>\(t("summary.weekly"))</a>
            <a href="\(path)?period=month"\(d.kind == "month" ? HTML(" class=\"here\"") : .empty)>\(t("summary.monthly"))</a></p>
            <h1>\(t(d.kind == "week" ? "summary.titleWeek" : "summary.titleMonth", d.domain))</h1>
            <p class="muted">\(t("period.showing", t.date(day: d.period.from), t.date(day: d.period.to))) · \(t("summary.comparedWith", t.date(day: d.period.previous.from), t.date(day: d.period.previous.to)))</p>
            \(Layout.totalsCards(c, d.now, d.before))
            <h2>\(t("summary.changes"))</h2>
            <ul><li>\(t("summary.newSources", t.number(d.newSourceCount)))</li><li>\(t("summary.goneSources", t.number(d.goneSources)))</li></ul>
            \(table(d.newSources))
            <h2>\(t("summary.top"))</h2>\(table(d.top))
            <h2>\(t("summary.failing"))</h2>\(table(d.failing, failing: true))
            <h2>\(t("summary.spoofing"))</h2>\(table(d.spoofing, failing: true))
            """
        return Layout.page(c, title: d.domain, section: "domains", body: body)
    }
}
