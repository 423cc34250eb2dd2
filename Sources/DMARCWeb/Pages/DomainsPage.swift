import DMARCCore
import DMARCStore

/// The domains: the list, registering one with the DMARC record generator, and whether DNS
/// publishes the record.
enum DomainsPage {
    static func render(_ c: RequestContext, form: HTML?) throws -> HTTPResponse {
        let t = c.t
        let registered = Dictionary(
            try c.store.registeredDomains().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let rows = try c.store.knownDomains(visible: c.visibleDomains).map { d -> HTML in
            let policy = try c.store.publishedPolicy(domain: d)
            return """
                <tr><td class="wrap"><a href="/domains/\(urlComponent(d))">\(d)</a></td>
                <td>\(policy.map { "p=" + ($0.p ?? "–") } ?? "–")</td>
                <td class="wrap"><code>\(registered[d]?.dmarcRecord ?? "–")</code></td>
                <td><a href="/domains/\(urlComponent(d))/dns">\(t("domains.checkDNS"))</a></td></tr>
                """
        }
        let body: HTML = """
            <h1>\(t("domains.title"))</h1>
            \(rows.isEmpty ? Layout.notice(t("domains.empty")) : """
            <div class="table-wrap"><table><thead><tr><th>\(t("col.domain"))</th><th>\(t("domains.seen"))</th><th>\(t("domains.generated"))</th><th></th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """)
            \(c.user.role == .admin ? generatorForm(c, values: c.request.form) : HTML.empty)
            \(form ?? .empty)
            """
        return Layout.page(c, title: t("domains.title"), section: "domains", body: body)
    }

    static func generatorForm(_ c: RequestContext, values: [String: String]) -> HTML {
        let t = c.t
        func select(_ name: String, _ options: [String], _ chosen: String?) -> HTML {
            let items = options.map { o -> HTML in
                "<option value=\"\(o)\"\(o == (chosen ?? "") ? HTML(" selected") : .empty)>\(o.isEmpty ? "–" : o)</option>"
            }
            return "<select name=\"\(name)\">\(items)</select>"
        }
        return """
            <h2>\(t("domains.add"))</h2>
            <form class="stack panel" method="post" action="/domains">\(Layout.csrfField(c))
            <label>\(t("col.domain"))<input name="domain" required value="\(values["domain"] ?? "")" placeholder="example.com"></label>
            <label>\(t("gen.policy")) (p)\(select("policy", ["none", "quarantine", "reject"], values["policy"]))</label>
            <label>\(t("gen.sp")) (sp)\(select("sp", ["", "none", "quarantine", "reject"], values["sp"]))</label>
            <label>\(t("gen.np")) (np)\(select("np", ["", "none", "quarantine", "reject"], values["np"]))</label>
            <label>\(t("gen.adkim")) (adkim)\(select("adkim", ["", "r", "s"], values["adkim"]))</label>
            <label>\(t("gen.aspf")) (aspf)\(select("aspf", ["", "r", "s"], values["aspf"]))</label>
            <label>\(t("gen.rua")) (rua)<textarea name="rua" rows="2" placeholder="dmarc@example.com">\(values["rua"] ?? "")</textarea></label>
            <label><span><input type="checkbox" name="testing" value="1"\(values["testing"] == "1" ? HTML(" checked") : .empty)> \(t("gen.testing")) (t=y)</span></label>
            <label>\(t("gen.pct"))<input name="pct" inputmode="numeric" value="\(values["pct"] ?? "")"></label>
            <button type="submit">\(t("domains.generate"))</button></form>
            """
    }

    static func submit(_ c: RequestContext) throws -> HTTPResponse {
        try c.requireAdmin()
        let t = c.t
        let f = c.request.form
        func opt(_ k: String) -> String? { f[k].flatMap { $0.isEmpty ? nil : $0 } }
        var pct: Int?
        if let text = opt("pct") {
            guard let n = Int(text) else { return try render(c, form: Layout.notice(t("gen.badPct"), error: true)) }
            pct = n
        }
        let rua = (f["rua"] ?? "").split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "," || $0 == " " })
            .map(String.init)
        let request = DMARCRecordRequest(
            domain: f["domain"] ?? "", policy: f["policy"] ?? "none", subdomainPolicy: opt("sp"),
            nonexistentPolicy: opt("np"), adkim: opt("adkim"), aspf: opt("aspf"), rua: rua,
            testing: f["testing"] == "1", legacyPct: pct)
        let generated: GeneratedDMARCRecord
        do {
            generated = try DMARCRecordGenerator.generate(request)
        } catch {
            return try render(c, form: Layout.notice(Layout.explanation(error.explanation, t), error: true))
        }
        let domain = String(generated.name.dropFirst("_dmarc.".count))
        try c.store.registerDomain(domain, dmarcRecord: generated.value)
        try c.store.audit(user: c.user.name, action: "domain.register", detail: domain)
        let explanations = generated.notes.map { e -> HTML in "<li>\(Layout.explanation(e, t))</li>" }
        let extra = generated.authorizationRecords.map { a -> HTML in
            "<pre class=\"record\">\(a.name)  TXT  \"\(a.value)\"</pre>"
        }
        let result: HTML = """
            <h2>\(t("domains.publish"))</h2>
            <pre class="record">\(generated.name)  TXT  "\(generated.value)"</pre>
            <ul>\(explanations)</ul>
            \(extra.isEmpty ? HTML.empty : "<p>\(t("domains.authorization"))</p>\(extra)")
            \(dnsComparison(c, domain: domain, expected: generated.value))
            """
        return try render(c, form: result)
    }

    static func dnsComparison(_ c: RequestContext, domain: String, expected: String?) -> HTML {
        let t = c.t
        let published = c.services.publishedDMARC(domain)
        let state: HTML
        if let record = published.record {
            let same = expected.map { normalise($0) == normalise(record) } ?? true
            state = """
                <p>\(t("dns.published"))</p><pre class="record">\(record)</pre>
                \(expected == nil ? HTML.empty : same ? HTML("<p class=\"badge pass\">\(t("dns.matches"))</p>") : HTML("<p class=\"badge warn\">\(t("dns.differs"))</p>"))
                """
        } else {
            let why = published.problem.map { Layout.explanation($0, t) } ?? .empty
            state = Layout.notice(t.html("dns.none", why), error: true)
        }
        return "<h2>\(t("dns.title", "_dmarc." + domain))</h2>\(state)"
    }

    static func normalise(_ record: String) -> String {
        record.split(separator: ";").map { $0.trimmingSpaces().lowercased() }.filter { !$0.isEmpty }.joined(
            separator: ";")
    }

    static func dnsCheck(_ c: RequestContext, domain raw: String) throws -> HTTPResponse {
        let domain = try c.requireDomain(raw)
        let expected = try c.store.registeredDomains().first(where: { $0.name == domain })?.dmarcRecord
        let body: HTML = """
            <h1>\(domain)</h1>\(dnsComparison(c, domain: domain, expected: expected))
            <p><a href="/domains/\(urlComponent(domain))">\(c.t("dns.back"))</a></p>
            """
        return Layout.page(c, title: domain, section: "domains", body: body)
    }
}
