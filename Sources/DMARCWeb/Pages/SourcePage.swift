import DMARCCore
import DMARCStore

/// One sending address: what reverse DNS says about it, and every record from it.
enum SourcePage {
    struct Data {
        var ip: String
        var period: Period
        var info: IPInfo?
        var network: NetworkInfo?
        /// Totals and days from the rollup; the newest records, capped.
        var activity: SourceActivity
        var records: [RecordDetail] { activity.records }
    }

    /// Most records listed on the page and in the API.
    static let recordLimit = 2000

    static func load(_ c: RequestContext, ip raw: String) throws -> Data {
        guard let address = IPAddress(raw) else { throw WebError.notFound }
        let ip = address.description
        let anchor = try Period.anchor(c.store, domains: c.visibleDomains)
        let period = try Period.parse(c.request, anchor: anchor)
        let activity = try c.store.sourceActivity(
            ip: ip, domains: c.visibleDomains, fromDay: period.from, toDay: period.to, limit: recordLimit)
        // What enrichment knows of an address is shown only beside records the user may see, so
        // a member cannot learn which addresses send to other domains.
        let hidden = activity.records.isEmpty && activity.total.messages == 0 && c.user.role != .admin
        return Data(
            ip: ip, period: period, info: hidden ? nil : try c.store.ipInfo(ip),
            network: hidden ? nil : try c.store.networkInfo(ip)?.0, activity: activity)
    }

    /// Country, AS and network owner, with the RDAP button for administrators.
    static func networkFacts(_ c: RequestContext, _ d: Data) -> HTML {
        let t = c.t
        let n = d.network
        let asText = n?.asn.map { "AS\($0)" + (n?.asOrganization.map { " \($0)" } ?? "") }
        var out: HTML = """
            <p>\(t("source.country")): \(n?.country ?? "–") · \(t("source.as")): \(asText ?? "–")</p>
            <p>\(t("source.owner")): \(n?.networkOwner ?? "–")\(n?.networkHandle.map { " (\($0))" } ?? "")</p>
            """
        if c.user.role == .admin {
            out += """
                <form class="actions" method="post" action="/sources/\(urlComponent(d.ip))/rdap">\(Layout.csrfField(c))<button class="plain" type="submit">\(t("source.rdap"))</button></form>
                """
        }
        return out
    }

    /// Asks RDAP who holds the address's network, stores the answer, and shows the page again.
    static func lookUpOwner(_ c: RequestContext, ip raw: String) throws -> HTTPResponse {
        try c.requireAdmin()
        guard let address = IPAddress(raw) else { throw WebError.notFound }
        let found = c.services.networkOwner(address)
        if found.problem == nil {
            try c.store.saveNetworkOwner(ip: address.description, owner: found.owner, handle: found.handle)
        }
        let notice = found.problem.map { problem -> HTML in
            Layout.notice(c.t.html("source.rdapFailed", Layout.english(problem, c.t)), error: true)
        }
        return try render(c, ip: address.description, notice: notice)
    }

    static func render(_ c: RequestContext, ip raw: String) throws -> HTTPResponse {
        try render(c, ip: raw, notice: nil)
    }

    static func render(_ c: RequestContext, ip raw: String, notice: HTML?) throws -> HTTPResponse {
        let t = c.t
        let d = try load(c, ip: raw)
        let total = d.activity.total.messages
        let pass = d.activity.total.dmarcPass
        let info: HTML
        if let i = d.info {
            info = """
                <div class="panel"><p>\(t("source.ptr")): <strong>\(i.ptr ?? "–")</strong>
                \(i.ptr == nil ? HTML.empty : i.forwardConfirmed ? HTML("<span class=\"badge pass\">\(t("source.fcrdns"))</span>") : HTML("<span class=\"badge warn\">\(t("source.notConfirmed"))</span>"))</p>
                <p>\(t("source.baseDomain")): \(i.baseDomain ?? "–")</p>\(networkFacts(c, d))</div>
                """
        } else {
            info = Layout.notice(t("source.notEnriched")) + networkFacts(c, d)
        }
        let rows = d.records.map { r -> HTML in
            """
            <tr><td><a href="/reports/\(r.reportID)">\(t.date(day: DayMath.day(of: r.begin)))</a><br><span class="muted">\(r.reporter)</span></td>
            <td class="wrap">\(r.domain)</td><td class="num">\(t.number(r.count))</td><td>\(t.disposition(r.disposition))</td>
            \(Layout.recordCells(r))</tr>
            """
        }
        let table: HTML =
            rows.isEmpty
            ? Layout.notice(t("source.noRecords"))
            : """
            <div class="table-wrap"><table><thead><tr><th>\(t("col.report"))</th><th>\(t("col.domain"))</th><th class="num">\(t("col.messages"))</th>
            <th>\(t("col.disposition"))</th><th>\(t("col.evaluated"))</th><th>\(t("col.dkimResults"))</th><th>\(t("col.spfResults"))</th>
            <th>\(t("col.from"))</th><th>\(t("col.reasons"))</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
        let body: HTML = """
            <h1>\(t("source.title", d.ip))</h1>\(notice ?? .empty)
            \(Layout.periodPicker(c, d.period, path: "/sources/\(urlComponent(d.ip))"))
            \(info)
            <div class="cards"><div class="card"><div class="label">\(t("totals.messages"))</div><div class="value">\(t.number(total))</div></div>
            <div class="card"><div class="label">\(t("totals.dmarc"))</div><div class="value">\(t.percent(pass, of: total))</div></div></div>
            <h2>\(t("overview.daily"))</h2>
            \(Chart.daily(d.activity.days, from: d.period.from, to: d.period.to, t: t))
            <h2>\(t("source.records"))</h2>
            \(d.activity.recordCount > d.records.count ? Layout.notice(t("source.capped", t.number(d.records.count), t.number(d.activity.recordCount))) : .empty)
            \(table)
            """
        return Layout.page(c, title: d.ip, section: "domains", body: body)
    }
}
