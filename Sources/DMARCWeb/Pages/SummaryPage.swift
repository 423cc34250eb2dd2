import DMARCCore
import DMARCStore

/// A printable weekly or monthly summary of one domain: totals, pass rates, top, failing and
/// spoofing sources, and the changes since the period before.
enum SummaryPage {
    struct Data {
        var domain: String
        var kind: String
        var summary: SummaryPeriod
        var period: Period { summary.period }
        var previous: Period { summary.previous.period }
        var now: Totals
        var before: Totals
        /// Days with reports in the period and in the one before.
        var coveredDays: Int
        var previousCoveredDays: Int
        var top: [SourceSummary]
        var failing: [SourceSummary]
        var spoofing: [SourceSummary]
        var newSources: [SourceSummary]
        var newSourceCount: Int
        var goneSources: Int
    }

    /// The messages of a source that failed DMARC.
    static func failures(_ s: SourceSummary) -> Int64 { Counts.difference(s.totals.messages, s.totals.dmarcPass) }

    /// `period=week|month` and `date=YYYY-MM-DD` (any day of the period; `end` is the old name):
    /// the ISO week or calendar month holding that day, by default the one holding the latest day
    /// with data; compared with the week or month before.
    static func load(_ c: RequestContext, domain raw: String) throws -> Data {
        let domain = try c.requireDomain(raw)
        guard let kind = SummaryPeriod.Kind(rawValue: c.request.query("period") ?? "week") else {
            throw WebError.invalid("error.summaryKind", [])
        }
        var day = try Period.anchor(c.store, domains: [domain])
        for name in ["end", "date"] {
            guard let text = c.request.query(name) else { continue }
            guard let d = DayMath.day(fromISO: text) else { throw WebError.invalid("error.badDate", [name]) }
            day = d
        }
        let summary = SummaryPeriod.containing(day, kind)
        let period = summary.period
        let previousPeriod = summary.previous.period
        let series = try c.store.domainSeries(domains: [domain], fromDay: period.from, toDay: period.to).first
        let before = try c.store.domainSeries(
            domains: [domain], fromDay: previousPeriod.from, toDay: previousPeriod.to
        ).first
        let sources = try c.store.domainSources(domain: domain, fromDay: period.from, toDay: period.to)
        let previous = Set(
            try c.store.domainSources(domain: domain, fromDay: previousPeriod.from, toDay: previousPeriod.to).map(
                \.ip))
        let current = Set(sources.map(\.ip))
        return Data(
            domain: domain, kind: kind.rawValue, summary: summary, now: series?.total ?? Totals(),
            before: before?.total ?? Totals(), coveredDays: series?.days.count ?? 0,
            previousCoveredDays: before?.days.count ?? 0,
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
        let week = d.kind == "week"
        func link(_ p: SummaryPeriod) -> String {
            path + queryString([("period", p.kind.rawValue), ("date", DayMath.isoDate(day: p.from))])
        }
        let today = DayMath.day(of: Int64(timeNow()))
        let next = d.summary.next
        let navigation: HTML = """
            <p class="no-print periods"><a href="\(link(d.summary.previous))" rel="prev">\(t(week ? "summary.previousWeek" : "summary.previousMonth"))</a>
            \(next.from <= today ? HTML("<a href=\"\(link(next))\" rel=\"next\">\(t(week ? "summary.nextWeek" : "summary.nextMonth"))</a>") : .empty)</p>
            """
        var warnings: [HTML] = []
        if d.coveredDays < Int(d.summary.days) {
            warnings.append(
                Layout.notice(t("summary.partialCurrent", t.number(d.coveredDays), t.number(Int(d.summary.days)))))
        }
        if d.previousCoveredDays < Int(d.summary.previous.days) {
            warnings.append(
                Layout.notice(
                    t(
                        "summary.partialPrevious", t.number(d.previousCoveredDays),
                        t.number(Int(d.summary.previous.days))), error: true))
        }
        let body: HTML = """
            <p class="no-print periods"><a href="\(link(.containing(d.period.from, .week)))"\(week ? HTML(" class=\"here\"") : .empty)>\(t("summary.weekly"))</a>
            <a href="\(link(.containing(d.period.from, .month)))"\(!week ? HTML(" class=\"here\"") : .empty)>\(t("summary.monthly"))</a></p>
            <h1>\(t(week ? "summary.titleWeek" : "summary.titleMonth", d.domain))</h1>
            <p><strong>\(d.summary.label(t))</strong> · \(t("period.showing", t.date(day: d.period.from), t.date(day: d.period.to))) · <span class="muted">\(t("summary.comparedWith", t.date(day: d.previous.from), t.date(day: d.previous.to)))</span></p>
            \(navigation)\(warnings)
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
