import DMARCCore
import DMARCStore

/// The stored reports: a list by reporter and date, a readable detail page, the raw file.
enum ReportsPage {
    static func filter(_ c: RequestContext) throws -> ReportFilter {
        var filter = ReportFilter(domains: c.visibleDomains)
        if let d = c.request.query("domain"), !d.isEmpty { filter.domains = [try c.requireDomain(d)] }
        return filter
    }

    /// Reports a page of the list shows.
    static let pageSize = 100

    /// The `page` query value: 1 when absent.
    static func page(_ c: RequestContext) throws -> Int {
        guard let text = c.request.query("page"), !text.isEmpty else { return 1 }
        guard let n = Int(text), n >= 1, n <= 1_000_000 else { throw WebError.invalid("error.page", []) }
        return n
    }

    static func list(_ c: RequestContext) throws -> HTTPResponse {
        let t = c.t
        let domain = c.request.query("domain").flatMap { $0.isEmpty ? nil : $0 }
        let reporter = c.request.query("reporter").flatMap { $0.trimmingSpaces().isEmpty ? nil : $0.trimmingSpaces() }
        let filter = try filter(c)
        let page = try page(c)
        let total = try c.store.reportCount(filter, reporter: reporter)
        let pages = max((total + pageSize - 1) / pageSize, 1)
        let reports = try c.store.reports(
            filter, reporter: reporter, limit: pageSize, offset: (min(page, pages) - 1) * pageSize)
        let rows = reports.map { r -> HTML in
            """
            <tr><td><a href="/reports/\(r.id)">\(r.reporter)</a><br><span class="muted wrap">\(r.reportID)</span></td>
            <td class="wrap">\(r.domain)</td><td>\(t.dateTime(r.begin))<br><span class="muted">\(t.dateTime(r.end))</span></td>
            <td class="num">\(t.number(r.records))</td><td class="num">\(t.number(r.messages))</td><td>p=\(r.policy ?? "–")</td>
            <td class="num">\(r.warnings > 0 ? HTML("<span class=\"badge warn\">\(t.number(r.warnings))</span>") : "0")</td></tr>
            """
        }
        let domains = try c.store.knownDomains(visible: c.visibleDomains).map { d -> HTML in
            "<option value=\"\(d)\"\(d == domain ? HTML(" selected") : .empty)>\(d)</option>"
        }
        // Suggestions for the reporter field; any part of a name, in any case, matches.
        let known = try c.store.knownReporters(domains: filter.domains).map { r -> HTML in "<option value=\"\(r)\">" }
        let keep: [(String, String?)] = [("domain", domain), ("reporter", reporter)]
        let shown = min(page, pages)
        let range: HTML =
            total == 0
            ? .empty
            : "<p class=\"muted\">\(t("reports.range", t.number((shown - 1) * pageSize + 1), t.number((shown - 1) * pageSize + reports.count), t.number(total)))</p>"
        let body: HTML = """
            <h1>\(t("reports.title"))</h1>
            <form class="filters" method="get" action="/reports">
            <label>\(t("col.domain"))<select name="domain"><option value="">\(t("reports.allDomains"))</option>\(domains)</select></label>
            <label>\(t("domain.reporter"))<input name="reporter" list="known-reporters" value="\(reporter ?? "")"></label>
            <datalist id="known-reporters">\(known)</datalist>
            <button type="submit">\(t("period.apply"))</button></form>
            \(range)
            \(rows.isEmpty ? Layout.notice(t("reports.empty")) : """
            <div class="table-wrap"><table><thead><tr><th>\(t("col.reporter"))</th><th>\(t("col.domain"))</th><th>\(t("col.period"))</th>
            <th class="num">\(t("col.records"))</th><th class="num">\(t("col.messages"))</th><th>\(t("col.policy"))</th><th class="num">\(t("col.warnings"))</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """)
            \(Layout.pager(c, page: shown, pages: pages, path: "/reports", keep: keep))
            """
        return Layout.page(c, title: t("reports.title"), section: "reports", body: body)
    }

    static func load(_ c: RequestContext, id: Int64) throws -> ReportDetail {
        guard let domain = try c.store.reportDomain(id: id), c.user.canSee(domain: domain),
            let detail = try c.store.reportDetail(id: id)
        else { throw WebError.notFound }
        return detail
    }

    static func detail(_ c: RequestContext, id: Int64) throws -> HTTPResponse {
        let t = c.t
        let d = try load(c, id: id)
        let l = d.listing
        var facts: [(String, String)] = [
            (t("report.org"), d.orgName ?? l.reporter), (t("report.email"), l.email ?? "–"),
            (t("report.extra"), d.extraContactInfo ?? "–"), (t("report.id"), l.reportID),
            (t("col.domain"), l.domain), (t("report.begin"), t.dateTime(l.begin)), (t("report.end"), t.dateTime(l.end)),
            (t("report.flavour"), t.flavour(l.flavour)), (t("report.generator"), d.generator ?? "–"),
            (t("col.records"), t.number(l.records)), (t("col.messages"), t.number(l.messages)),
        ]
        if c.user.role == .admin { facts.append((t("report.origin"), l.source)) }
        let factRows = facts.map { k, v -> HTML in "<tr><th>\(k)</th><td class=\"wrap\">\(v)</td></tr>" }
        // The parser's words, in English: marked as such on a Japanese page.
        let notes =
            d.errors.map { e -> HTML in
                "<li class=\"wrap\"><span class=\"badge fail\">\(t("report.error"))</span> \(Layout.english(e, t))</li>"
            } + d.warnings.map { w -> HTML in "<li class=\"wrap\">\(Layout.english(w, t))</li>" }
        let rows = d.records.map { r -> HTML in
            """
            <tr><td><a href="/sources/\(urlComponent(r.sourceIP))">\(r.sourceIP)</a></td><td class="num">\(t.number(r.count))</td>
            <td>\(t.disposition(r.disposition))</td>\(Layout.recordCells(r))</tr>
            """
        }
        let more: HTML =
            l.records > d.records.count ? Layout.notice(t("report.truncated", t.number(d.records.count))) : .empty
        let body: HTML = """
            <h1>\(t("report.title", l.reporter, t.date(day: DayMath.day(of: l.begin))))</h1>
            <div class="table-wrap"><table><tbody>\(factRows)</tbody></table></div>
            <h2>\(t("domain.policy"))</h2>\(DomainPage.policyPanel(c, d.policy))
            \(notes.isEmpty ? HTML.empty : "<h2>\(t("report.notes"))</h2><ul>\(notes)</ul>")
            <p>\(d.rawDocumentID == nil ? HTML.empty : "<a class=\"button\" href=\"/reports/\(l.id)/raw\">\(t("report.download"))</a>")</p>
            <h2>\(t("report.records"))</h2>\(more)
            <div class="table-wrap"><table><thead><tr><th>\(t("col.source"))</th><th class="num">\(t("col.messages"))</th>
            <th>\(t("col.disposition"))</th><th>\(t("col.evaluated"))</th><th>\(t("col.dkimResults"))</th><th>\(t("col.spfResults"))</th>
            <th>\(t("col.from"))</th><th>\(t("col.reasons"))</th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
        return Layout.page(c, title: t("reports.title"), section: "reports", body: body)
    }

    /// The stored raw document of a report, as it arrived (decompressed from the store).
    static func raw(_ c: RequestContext, id: Int64) throws -> HTTPResponse {
        let d = try load(c, id: id)
        guard let docID = d.rawDocumentID, let info = try c.store.rawDocument(id: docID) else {
            throw WebError.notFound
        }
        // A raw document may hold reports of several domains (a zip of many): a member gets it
        // only when everything in it is theirs.
        if c.user.role != .admin {
            let (domains, complete) = try c.store.rawDocumentDomains(id: docID)
            guard complete, domains.allSatisfy({ c.user.canSee(domain: $0) }) else { throw WebError.notFound }
        }
        // Decompressed from the store into a spool file and streamed: no size limit, little memory.
        let stream = try c.store.openRaw(id: docID)
        let spool = try SpoolFile()
        do {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
                if n == 0 { break }
                try spool.write(buffer[0..<n])
            }
        } catch {
            spool.discard()
            throw error
        }
        var r = try spool.response(contentType: "application/octet-stream")
        let name = downloadName(domain: d.listing.domain, reportID: d.listing.reportID, mediaType: info.mediaType)
        r.headers.append(("Content-Disposition", "attachment; filename=\"\(name)\""))
        return r
    }

    /// The raw file's name: the domain and report id, with the extension of what it is. Not the
    /// name it arrived with: that is part of its origin (`upload:<admin>:<file>`, a mailbox),
    /// which members do not see.
    static func downloadName(domain: String, reportID: String, mediaType: String) -> String {
        let extensions = [
            "application/gzip": "gz", "application/zip": "zip", "text/xml": "xml", "application/json": "json",
            "application/mbox": "mbox", "message/rfc822": "eml",
        ]
        // Letters, digits, dot, hyphen and underscore only: safe in a quoted header value and in
        // any file system; the report id is hostile and may be long.
        func safe(_ text: String) -> String {
            String(
                text.unicodeScalars.prefix(80).map { c -> Character in
                    c.isASCII
                        && (c.properties.isAlphabetic || ("0"..."9").contains(c) || ".-_".unicodeScalars.contains(c))
                        ? Character(c) : "_"
                })
        }
        return "\(safe(domain))-\(safe(reportID)).\(extensions[mediaType] ?? "bin")"
    }
}
