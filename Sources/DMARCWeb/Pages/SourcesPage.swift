import DMARCCore
import DMARCEnrich
import DMARCStore

/// Who sends as a domain, by class, with the evidence; decisions; and the readiness page.
enum SourcesPage {
    struct Data {
        var domain: String
        var period: Period
        var sources: [ClassifiedSource]
        /// The live DMARC record, else the newest report's policy (reports are not authenticated).
        var policy: PolicyInForce?
        /// Days of reports in the period (`ReportStore.reportedDays`).
        var reportedDays: Int
    }

    static func load(_ c: RequestContext, domain raw: String) throws -> Data {
        let domain = try c.requireDomain(raw)
        let anchor = try Period.anchor(c.store, domains: [domain])
        let period = try Period.parse(c.request, anchor: anchor)
        let profiles = try c.store.sourceProfiles(domain: domain, fromDay: period.from, toDay: period.to)
        let live = c.services.publishedDMARC(domain)
        let policy = PolicyInForce.choose(
            dns: (live.record, live.problem?.description),
            report: try c.store.publishedPolicy(domain: domain)?.inForce())
        return Data(
            domain: domain, period: period, sources: c.services.sourceAnalysis().classify(profiles, policy: policy),
            policy: policy,
            reportedDays: try c.store.reportedDays(domain: domain, fromDay: period.from, toDay: period.to))
    }

    static func readiness(_ d: Data) -> Readiness {
        Readiness.assess(domain: d.domain, days: d.reportedDays, policy: d.policy, sources: d.sources)
    }

    /// Messages a day, grouped like every other number, one decimal; a rate that rounds to zero
    /// but is not zero says so instead of showing 0.0.
    static func perDay(_ v: Double, _ t: Localizer) -> String {
        guard v.isFinite, v >= 0 else { return "–" }
        if v > 0 && v < 0.05 { return "< 0.1" }
        let tenths = Int64((min(v, 1e15) * 10).rounded())
        return t.number(tenths / 10) + ".\(tenths % 10)"
    }

    static func render(_ c: RequestContext, domain raw: String) throws -> HTTPResponse {
        let t = c.t
        let d = try load(c, domain: raw)
        let path = "/domains/\(urlComponent(d.domain))/sources"
        var sections: [HTML] = []
        for cls in SourceClass.allCases {
            let group = d.sources.filter { $0.sourceClass == cls }
            guard !group.isEmpty else { continue }
            let messages = group.reduce(Int64(0)) {
                let (sum, overflow) = $0.addingReportingOverflow($1.profile.messages)
                return overflow ? Int64.max : sum
            }
            let count = group.count == 1 ? t("sources.count-one") : t("sources.count", t.number(group.count))
            let rows = group.prefix(300).map {
                row(c, $0, domain: d.domain, back: path + queryString(d.period.queryPairs))
            }
            sections.append(
                """
                <h2>\(t("class." + cls.rawValue)) · \(count) · \(t("sources.messages", t.number(messages)))</h2>
                <p class="muted">\(t("class." + cls.rawValue + ".explain"))</p>
                <div class="table-wrap"><table><thead><tr><th>\(t("col.source"))</th><th class="num">\(t("col.messages"))</th>
                <th>\(t("col.dmarc"))</th><th>\(t("sources.why"))</th>\(c.user.role == .admin ? HTML("<th>\(t("sources.decision"))</th>") : .empty)</tr></thead>
                <tbody>\(Array(rows))</tbody></table></div>
                """)
        }
        let body: HTML = """
            <h1>\(t("sources.title", d.domain))</h1>
            \(Layout.periodPicker(c, d.period, path: path))
            <p class="no-print"><a href="/domains/\(urlComponent(d.domain))/readiness\(queryString(d.period.queryPairs))">\(t("readiness.link"))</a></p>
            \(sections.isEmpty ? Layout.notice(t("domain.noSources")) : HTML.empty)\(sections)
            """
        return Layout.page(c, title: d.domain, section: "domains", body: body)
    }

    static func row(_ c: RequestContext, _ s: ClassifiedSource, domain: String, back: String) -> HTML {
        let t = c.t
        let p = s.profile
        let names = [p.service?.name, p.ptr, p.country, p.asOrganization ?? p.networkOwner].compactMap { $0 }
        let evidence = s.evidence.map { e -> HTML in "<li>\(t.explain(e))</li>" }
        let causes = s.causes.map { cause -> HTML in
            "<li><strong>\(t.explain(cause.message))</strong><br>\(t("sources.fix")): \(t.fix(cause))</li>"
        }
        var decide = HTML.empty
        if c.user.role == .admin {
            // "Forget" only where there is a decision to forget.
            let choices =
                [("approve", t("sources.approve")), ("not-mine", t("sources.notMine"))]
                + (s.decided ? [("clear", t("sources.clear"))] : [])
            let buttons = choices.map { v, label -> HTML in
                "<button class=\"plain\" name=\"verdict\" value=\"\(v)\" type=\"submit\">\(label)</button> "
            }
            decide = """
                <td><form method="post" action="/domains/\(urlComponent(domain))/sources/\(urlComponent(p.ip))/decision">\(Layout.csrfField(c))
                <input type="hidden" name="back" value="\(back)">\(buttons)</form></td>
                """
        }
        return """
            <tr><td class="wrap"><a class="ip" href="/sources/\(urlComponent(p.ip))">\(p.ip)</a>\(s.decided ? HTML(" <span class=\"badge\">\(t("sources.decided"))</span>") : .empty)<br><span class="muted">\(names.joined(separator: " · "))</span></td>
            <td class="num">\(t.number(p.messages))</td><td>\(Chart.share(p.dmarcPass, of: p.messages, t: t))</td>
            <td><ul>\(evidence)</ul>\(causes.isEmpty ? HTML.empty : "<ul class=\"causes\">\(causes)</ul>")</td>\(decide)</tr>
            """
    }

    static func decide(_ c: RequestContext, domain raw: String, ip raw2: String) throws -> HTTPResponse {
        try c.requireAdmin()
        let domain = try c.requireDomain(raw)
        guard let address = IPAddress(raw2) else { throw WebError.notFound }
        let form = c.request.form
        let verdict: SourceDecision.Verdict?
        switch form["verdict"] {
        case "approve": verdict = .approved
        case "not-mine": verdict = .notMine
        case "clear": verdict = nil
        default: throw WebError.badRequest("verdict must be approve, not-mine or clear")
        }
        let note = form["note"].map { String($0.prefix(500)) }
        try c.store.setSourceDecision(
            domain: domain, ip: address.description, verdict: verdict, by: c.user.name, note: note)
        return .redirect(PageRoutes.localPath(form["back"]))
    }

    static func renderReadiness(_ c: RequestContext, domain raw: String) throws -> HTTPResponse {
        let t = c.t
        let d = try load(c, domain: raw)
        let r = readiness(d)
        let path = "/domains/\(urlComponent(d.domain))/readiness"
        let verdicts = [r.quarantine, r.reject].map { v -> HTML in
            let reasons = v.reasons.map { x -> HTML in "<li>\(t.explain(x))</li>" }
            return """
                <div class="card"><div class="label">p=\(v.policy)</div>
                <div class="value">\(v.ready ? HTML("<span class=\"badge pass\">\(t("readiness.ready"))</span>") : HTML("<span class=\"badge fail\">\(t("readiness.notReady"))</span>"))</div>
                <ul>\(reasons)</ul></div>
                """
        }
        let totals = SourceClass.allCases.map { cls -> HTML in
            "<div class=\"card\"><div class=\"label\">\(t("class." + cls.rawValue))</div><div class=\"value\">\(t.number(r.totals[cls] ?? 0))</div></div>"
        }
        let simulations = r.simulations.map { sim -> HTML in
            let lines = sim.lines.prefix(50).map { l -> HTML in
                """
                <tr><td class="wrap"><a class="ip" href="/sources/\(urlComponent(l.ip))">\(l.ip)</a> <span class="muted">\(l.name)</span></td>
                <td>\(t("class." + l.sourceClass.rawValue))</td><td class="num">\(t.number(l.messages))</td><td class="num">\(perDay(l.perDay, t))</td></tr>
                """
            }
            return """
                <h2>\(t("readiness.simulation", sim.policy))</h2>
                <p>\(t("readiness.simulationSummary", perDay(sim.perDay, t), t.number(sim.messages), t.number(sim.blockedSpoofing), t.number(sim.forwardedMessages)))</p>
                \(lines.isEmpty ? HTML.empty : """
                <div class="table-wrap"><table><thead><tr><th>\(t("col.source"))</th><th>\(t("readiness.class"))</th><th class="num">\(t("col.messages"))</th>
                <th class="num">\(t("readiness.perDay"))</th></tr></thead><tbody>\(Array(lines))</tbody></table></div>
                """)
                """
        }
        let steps = r.plan.map { s -> HTML in
            var text = t.explain(s.explanation)
            if let cause = s.cause, let source = s.source {
                // A fix step: its parts in this language, not the English the step carries.
                var e = s.explanation
                e.arguments = [source, t.explain(cause.message), t.fix(cause)]
                text = t.explain(e)
            }
            return "<li>\(s.record.isEmpty ? HTML.empty : "<pre class=\"record\">\(s.record)</pre>")\(text)</li>"
        }
        let body: HTML = """
            <h1>\(t("readiness.title", d.domain))</h1>
            \(Layout.periodPicker(c, d.period, path: path))
            <p>\(t.explain(r.policySource)) \(t("readiness.days", t.number(r.days)))</p>
            <div class="cards">\(verdicts)</div>
            <h2>\(t("readiness.byClass"))</h2><div class="cards">\(totals)</div>
            \(simulations)
            <h2>\(t("readiness.plan"))</h2><ol>\(steps)</ol>
            <p class="no-print"><a href="/domains/\(urlComponent(d.domain))/sources\(queryString(d.period.queryPairs))">\(t("readiness.sourcesLink"))</a></p>
            """
        return Layout.page(c, title: d.domain, section: "domains", body: body)
    }
}
