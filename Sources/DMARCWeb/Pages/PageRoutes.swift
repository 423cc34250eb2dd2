import DMARCCore
import DMARCStore

/// The HTML pages, by path.
enum PageRoutes {
    /// Every page and form target (HEAD is answered as GET).
    static let table: [Route] = [
        Route("GET", "/") { c, _ in try OverviewPage.render(c) },
        Route("GET", "/domains") { c, _ in try DomainsPage.render(c, form: nil) },
        Route("POST", "/domains") { c, _ in try DomainsPage.submit(c) },
        Route("GET", "/domains/{domain}") { c, p in try DomainPage.render(c, domain: p["domain"]) },
        Route("GET", "/domains/{domain}/summary") { c, p in try SummaryPage.render(c, domain: p["domain"]) },
        Route("GET", "/domains/{domain}/dns") { c, p in try DomainsPage.dnsCheck(c, domain: p["domain"]) },
        Route("GET", "/domains/{domain}/sources") { c, p in try SourcesPage.render(c, domain: p["domain"]) },
        Route("GET", "/domains/{domain}/readiness") { c, p in
            try SourcesPage.renderReadiness(c, domain: p["domain"])
        },
        Route("POST", "/domains/{domain}/sources/{ip}/decision") { c, p in
            try SourcesPage.decide(c, domain: p["domain"], ip: p["ip"])
        },
        Route("POST", "/sources/{ip}/rdap") { c, p in try SourcePage.lookUpOwner(c, ip: p["ip"]) },
        Route("GET", "/sources/{ip}") { c, p in try SourcePage.render(c, ip: p["ip"]) },
        Route("GET", "/reports") { c, _ in try ReportsPage.list(c) },
        Route("GET", "/reports/{id}") { c, p in try ReportsPage.detail(c, id: try id(p["id"])) },
        Route("GET", "/reports/{id}/raw") { c, p in try ReportsPage.raw(c, id: try id(p["id"])) },
        Route("GET", "/health") { c, _ in try HealthPage.render(c, notice: nil) },
        Route("POST", "/health/reparse") { c, _ in try HealthPage.reparse(c) },
        Route("GET", "/upload") { c, _ in try UploadPage.render(c, outcome: nil) },
        Route("POST", "/upload") { c, _ in try UploadPage.submit(c) },
        Route("POST", "/signout") { c, _ in try SignInPage.signOut(c) },
        Route("POST", "/settings/language") { c, _ in try setLanguage(c) },
    ]

    static func route(_ method: String, _ s: [String], _ c: RequestContext) throws -> HTTPResponse {
        try Route.dispatch(table, method, s, c)
    }

    static func id(_ text: String) throws -> Int64 {
        guard let n = Int64(text), n > 0 else { throw WebError.notFound }
        return n
    }

    static func setLanguage(_ c: RequestContext) throws -> HTTPResponse {
        let form = c.request.form
        guard let l = form["language"].flatMap(Localizer.Language.init(rawValue:)) else {
            throw WebError.invalid("error.language", [])
        }
        try c.store.setLanguage(userID: c.user.id, language: l.rawValue)
        return .redirect(localPath(form["back"]))
    }

    /// A redirect target from a form: only a path on this server ("/x", never "//host" or a URL).
    static func localPath(_ text: String?) -> String {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), !text.contains("\\"),
            !text.unicodeScalars.contains(where: { $0.value < 0x21 })
        else { return "/" }
        return text
    }
}

/// Sources of a domain grouped by who operates them: the PTR base domain where known, else the
/// address itself.
struct SourceGroup {
    var name: String
    var named: Bool
    var totals = Totals()
    var sources: [SourceSummary] = []

    static func group(_ sources: [SourceSummary]) -> [SourceGroup] {
        var groups: [String: SourceGroup] = [:]
        for s in sources {
            let key = s.baseDomain ?? s.ip
            var g = groups[key] ?? SourceGroup(name: key, named: s.baseDomain != nil)
            g.totals.add(s.totals)
            g.sources.append(s)
            groups[key] = g
        }
        return groups.values.sorted { ($0.totals.messages, $1.name) > ($1.totals.messages, $0.name) }
    }
}
