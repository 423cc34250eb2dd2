import DMARCCore
import DMARCStore

/// Ingestion health: documents that failed, with their errors and a re-parse button; mailboxes.
enum HealthPage {
    /// Most failed documents listed (newest first), on the page and in the API.
    static let listLimit = 500

    static func render(_ c: RequestContext, notice: HTML?) throws -> HTTPResponse {
        try c.requireAdmin()
        let t = c.t
        let counts = try c.store.rawDocumentCounts()
        let cards = ["parsed", "duplicate", "failed", "ignored", "pending"].map { s -> HTML in
            "<div class=\"card\"><div class=\"label\">\(t("health.status." + s))</div><div class=\"value\">\(t.number(counts[s] ?? 0))</div></div>"
        }
        let failed = try c.store.rawDocuments(status: [.failed, .pending], newest: listLimit)
        let failedTotal = (counts["failed"] ?? 0) + (counts["pending"] ?? 0)
        let rows = failed.map { d -> HTML in
            """
            <tr><td class="wrap">\(d.origin)</td><td>\(t("health.status." + d.status.rawValue))</td><td class="wrap">\(d.error.map { Layout.english($0, t) } ?? "–")</td>
            <td class="num">\(t.bytes(Int(clamping: d.size)))</td>
            <td><form method="post" action="/health/reparse">\(Layout.csrfField(c))<input type="hidden" name="id" value="\(d.id)"><button type="submit">\(t("health.reparse"))</button></form></td></tr>
            """
        }
        let mailboxes = try c.store.mailboxes().map { m -> HTML in
            """
            <tr><td class="wrap">\(m.url)</td><td>\(m.username)</td><td>\(m.lastRunAt.map { t.dateTime($0) } ?? "–")</td>
            <td class="wrap">\(m.lastError.map { Layout.english($0, t) } ?? HTML("\(t("health.ok"))"))</td></tr>
            """
        }
        let body: HTML = """
            <h1>\(t("health.title"))</h1>\(notice ?? .empty)
            <div class="cards">\(cards)</div>
            <h2>\(t("health.failed"))</h2>
            \(failedTotal > failed.count ? Layout.notice(t("health.capped", t.number(failed.count), t.number(failedTotal))) : .empty)
            \(rows.isEmpty ? Layout.notice(t("health.noFailures")) : """
            <div class="table-wrap"><table><thead><tr><th>\(t("health.origin"))</th><th>\(t("health.state"))</th><th>\(t("health.error"))</th>
            <th class="num">\(t("health.size"))</th><th></th></tr></thead><tbody>\(Array(rows))</tbody></table></div>
            """)
            <h2>\(t("health.mailboxes"))</h2>
            \(mailboxes.isEmpty ? Layout.notice(t("health.noMailboxes")) : """
            <div class="table-wrap"><table><thead><tr><th>\(t("health.url"))</th><th>\(t("health.user"))</th><th>\(t("health.lastRun"))</th><th>\(t("health.lastError"))</th></tr></thead>
            <tbody>\(mailboxes)</tbody></table></div>
            """)
            """
        return Layout.page(c, title: t("health.title"), section: "health", body: body)
    }

    static func reparse(_ c: RequestContext) throws -> HTTPResponse {
        try c.requireAdmin()
        guard let id = c.request.form["id"].flatMap(Int64.init), try c.store.rawDocument(id: id) != nil else {
            throw WebError.notFound
        }
        let outcome = c.services.reparse(id)
        try c.store.audit(
            user: c.user.name, action: "document.reparse",
            detail: "\(id): " + (outcome.error.map { "still fails: \($0)" } ?? "\(outcome.reports) reports"))
        let t = c.t
        let notice: HTML =
            if let error = outcome.error {
                Layout.notice(t.html("health.stillFails", Layout.english(error, t)), error: true)
            } else {
                Layout.notice(t("health.reparsed", t.number(outcome.reports), t.number(outcome.records)))
            }
        return try render(c, notice: notice)
    }
}
