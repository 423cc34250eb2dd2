import DMARCCore
import DMARCStore

/// The HTML pages, by path.
enum PageRoutes {
    static func route(_ method: String, _ s: [String], _ c: RequestContext) throws -> HTTPResponse {
        switch (method, s.count, s.first ?? "") {
        case ("GET", 0, _): return try OverviewPage.render(c)
        case ("GET", 1, "domains"): return try DomainsPage.render(c, form: nil)
        case ("POST", 1, "domains"): return try DomainsPage.submit(c)
        case ("GET", 2, "domains"): return try DomainPage.render(c, domain: s[1])
        case ("GET", 3, "domains") where s[2] == "summary": return try SummaryPage.render(c, domain: s[1])
        case ("GET", 3, "domains") where s[2] == "dns": return try DomainsPage.dnsCheck(c, domain: s[1])
        case ("GET", 3, "domains") where s[2] == "sources": return try SourcesPage.render(c, domain: s[1])
        case ("GET", 3, "domains") where s[2] == "readiness": return try SourcesPage.renderReadiness(c, domain: s[1])
        case ("POST", 5, "domains") where s[2] == "sources" && s[4] == "decision":
            return try SourcesPage.decide(c, domain: s[1], ip: s[3])
        case ("POST", 3, "sources") where s[2] == "rdap": return try SourcePage.lookUpOwner(c, ip: s[1])
        case ("GET", 2, "sources"): return try SourcePage.render(c, ip: s[1])
        case ("GET", 1, "reports"): return try ReportsPage.list(c)
        case ("GET", 2, "reports"): return try ReportsPage.detail(c, id: try id(s[1]))
        case ("GET", 3, "reports") where s[2] == "raw": return try ReportsPage.raw(c, id: try id(s[1]))
        case ("GET", 1, "health"): return try HealthPage.render(c, notice: nil)
        case ("POST", 2, "health") where s[1] == "reparse": return try HealthPage.reparse(c)
        case ("GET", 1, "upload"): return try UploadPage.render(c, outcome: nil)
        case ("POST", 1, "upload"): return try UploadPage.submit(c)
        case ("POST", 1, "signout"): return try SignInPage.signOut(c)
        case ("POST", 2, "settings") where s[1] == "language": return try setLanguage(c)
        default: throw WebError.notFound
        }
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
