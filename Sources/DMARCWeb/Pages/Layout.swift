import DMARCCore
import DMARCStore

/// The frame of every signed-in page, and the small parts pages share.
enum Layout {
    static func page(_ c: RequestContext, title: String, section: String, body: HTML, status: Int = 200)
        -> HTTPResponse
    {
        let t = c.t
        var nav: [(String, String, String)] = [
            ("overview", "/", t("nav.overview")), ("domains", "/domains", t("nav.domains")),
            ("reports", "/reports", t("nav.reports")),
        ]
        if c.user.role == .admin {
            nav += [("health", "/health", t("nav.health")), ("upload", "/upload", t("nav.upload"))]
        }
        let links = nav.map { id, href, label -> HTML in
            "<a href=\"\(href)\"\(id == section ? HTML(" class=\"here\" aria-current=\"page\"") : .empty)>\(label)</a>"
        }
        let back = c.request.path + queryString(c.request.query.map { ($0.0, Optional($0.1)) })
        let languages = Localizer.Language.allCases.map { l -> HTML in
            "<option value=\"\(l.rawValue)\"\(l == t.language ? HTML(" selected") : .empty)>\(l.nativeName)</option>"
        }
        let html: HTML = """
            <!doctype html>
            <html lang="\(t.language.rawValue)">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · DMARCWatch</title><link rel="stylesheet" href="/static/app.css"></head>
            <body>
            <header class="top"><a class="brand" href="/">DMARCWatch</a><nav>\(links)</nav>
            <div class="who"><span>\(c.user.name)</span>
            <form method="post" action="/settings/language">\(csrfField(c))<input type="hidden" name="back" value="\(back)">
            <select name="language" aria-label="\(t("nav.language"))">\(languages)</select> <button class="plain" type="submit">\(t("nav.switch"))</button></form>
            <form method="post" action="/signout">\(csrfField(c))<button class="plain" type="submit">\(t("nav.signout"))</button></form></div>
            </header>
            <main>\(body)</main>
            <footer>DMARCWatch · \(t("footer.times"))</footer>
            </body></html>
            """
        return .html(html, status: status)
    }

    static func csrfField(_ c: RequestContext) -> HTML {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(c.csrf ?? "")\">"
    }

    /// Links to the preset periods and a form for a custom one; `keep` are other query values.
    static func periodPicker(
        _ c: RequestContext, _ period: Period, path: String, keep: [(String, String?)] = [], extra: HTML = .empty
    ) -> HTML {
        let t = c.t
        let presets = ["7", "30", "90"].map { n -> HTML in
            let href = path + queryString([("period", n)] + keep)
            return
                "<a href=\"\(href)\"\(period.name == n ? HTML(" class=\"here\"") : .empty)>\(t("period.days", n))</a>"
        }
        // Values the extra controls set are not repeated as hidden fields.
        let hidden = keep.compactMap { k, v in
            extra.text.contains("name=\"\(k)\"")
                ? nil : v.map { v -> HTML in "<input type=\"hidden\" name=\"\(k)\" value=\"\(v)\">" }
        }
        return """
            <form class="filters" method="get" action="\(path)"><span class="periods">\(presets)</span>
            <input type="hidden" name="period" value="custom">\(hidden)
            <label>\(t("period.from"))<input type="date" name="from" value="\(DayMath.isoDate(day: period.from))"></label>
            <label>\(t("period.to"))<input type="date" name="to" value="\(DayMath.isoDate(day: period.to))"></label>
            \(extra)<button type="submit">\(t("period.apply"))</button></form>
            <p class="muted">\(t("period.showing", t.date(day: period.from), t.date(day: period.to)))</p>
            """
    }

    /// Stat cards for a period's totals, each with its change from the period before.
    static func totalsCards(_ c: RequestContext, _ now: Totals, _ before: Totals) -> HTML {
        let t = c.t
        func rate(_ label: String, _ part: (Totals) -> Int64, higherIsBetter: Bool) -> HTML {
            let value = t.percent(part(now), of: now.messages)
            var delta = HTML.empty
            if now.messages > 0, before.messages > 0 {
                let d =
                    Double(part(now)) * 100 / Double(now.messages) - Double(part(before)) * 100
                    / Double(before.messages)
                let good = higherIsBetter ? d >= 0 : d <= 0
                delta =
                    "<div class=\"delta \(abs(d) < 0.5 ? "" : good ? "up" : "down")\">\(t("delta.vs", t.points(d)))</div>"
            }
            return
                "<div class=\"card\"><div class=\"label\">\(label)</div><div class=\"value\">\(value)</div>\(delta)</div>"
        }
        var volumeDelta = HTML.empty
        if let change = Counts.percentChange(from: before.messages, to: now.messages) {
            volumeDelta = "<div class=\"delta\">\(t("delta.vs", t.signedPercent(change)))</div>"
        }
        return """
            <div class="cards">
            <div class="card"><div class="label">\(t("totals.messages"))</div><div class="value">\(t.number(now.messages))</div>\(volumeDelta)</div>
            \(rate(t("totals.dmarc"), { $0.dmarcPass }, higherIsBetter: true))
            \(rate(t("totals.dkim"), { $0.dkimPass }, higherIsBetter: true))
            \(rate(t("totals.spf"), { $0.spfPass }, higherIsBetter: true))
            \(rate(t("totals.bothFail"), { $0.bothFail }, higherIsBetter: false))
            </div>
            """
    }

    /// Links to the pages of a long list: the first and last, and two either side of this one.
    static func pager(_ c: RequestContext, page: Int, pages: Int, path: String, keep: [(String, String?)]) -> HTML {
        guard pages > 1 else { return .empty }
        let t = c.t
        func link(_ n: Int, _ label: String, rel: String? = nil) -> HTML {
            let href = path + queryString(keep + [("page", n == 1 ? nil : String(n))])
            return n == page
                ? "<a class=\"here\" aria-current=\"page\">\(label)</a>"
                : "<a href=\"\(href)\"\(rel.map { HTML(" rel=\"\($0)\"") } ?? .empty)>\(label)</a>"
        }
        var items: [HTML] = []
        if page > 1 { items.append(link(page - 1, t("pager.newer"), rel: "prev")) }
        var last = 0
        for n in [1] + Array(max(page - 2, 1)...min(page + 2, pages)) + [pages] where n > last {
            if n > last + 1 { items.append("<span class=\"muted\">…</span>") }
            items.append(link(n, t.number(n)))
            last = n
        }
        if page < pages { items.append(link(page + 1, t("pager.older"), rel: "next")) }
        return "<nav class=\"periods pager\" aria-label=\"\(t("pager.label"))\">\(items)</nav>"
    }

    static func notice(_ text: String, error: Bool = false) -> HTML {
        notice(HTML("\(text)"), error: error)
    }

    static func notice(_ html: HTML, error: Bool = false) -> HTML {
        "<p class=\"notice\(error ? " error" : "")\" role=\"status\">\(html)</p>"
    }

    /// Text that exists only in English (a report's, the importer's or a library's words):
    /// marked `lang="en"` and, on a page in another language, labelled as English.
    static func english(_ text: String, _ t: Localizer) -> HTML {
        t.language == .en
            ? "\(text)" : "<span lang=\"en\">\(text)</span> <span class=\"muted\">\(t("label.english"))</span>"
    }

    /// An explanation in the page's language, or its English labelled as such.
    static func explanation(_ e: Explanation, _ t: Localizer) -> HTML {
        t.canExplain(e) ? "\(t.explain(e))" : english(e.description, t)
    }

    /// The cells every record table shares: evaluated results, DKIM signatures, SPF checks,
    /// header and envelope From, override reasons.
    static func recordCells(_ r: RecordDetail) -> HTML {
        let dkim = r.dkimResults.map { x -> HTML in
            "<div>d=\(x.domain ?? "–") s=\(x.selector ?? "–") \(badge(x.result))</div>"
        }
        let spf = r.spfResults.map { x -> HTML in
            "<div>\(x.domain ?? "–") (\(x.scope ?? "mfrom")) \(badge(x.result))</div>"
        }
        let reasons = r.reasons.map { x -> HTML in "<div>\(x.type)\(x.comment.map { ": " + $0 } ?? "")</div>" }
        return """
            <td>DKIM \(badge(r.dkim))<br>SPF \(badge(r.spf))</td><td class="wrap">\(dkim)</td><td class="wrap">\(spf)</td>
            <td class="wrap">\(r.headerFrom ?? "–")<br><span class="muted">\(r.envelopeFrom ?? "–")</span></td><td class="wrap">\(reasons)</td>
            """
    }

    static func badge(_ result: String?) -> HTML {
        let r = result ?? "–"
        let kind = r == "pass" ? "pass" : (r == "fail" || r == "permerror" || r == "temperror") ? "fail" : ""
        return "<span class=\"badge \(kind)\">\(r)</span>"
    }
}
