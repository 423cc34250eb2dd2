import DMARCCore
import DMARCStore

/// The JSON API under /api/v1/: the same data as the pages, and upload.
enum APIRoutes {
    /// Every API route; the OpenAPI document describes exactly these (a test compares them).
    static let table: [Route] = [
        Route("GET", "/api/v1/openapi.json") { _, _ in .json(OpenAPI.document) },
        Route("GET", "/api/v1/overview") { c, _ in .json(try overview(c)) },
        Route("GET", "/api/v1/domains") { c, _ in .json(try domains(c)) },
        Route("GET", "/api/v1/domains/{domain}") { c, p in .json(try domain(c, p["domain"])) },
        Route("GET", "/api/v1/domains/{domain}/summary") { c, p in .json(try summary(c, p["domain"])) },
        Route("GET", "/api/v1/domains/{domain}/sources") { c, p in
            let d = try SourcesPage.load(c, domain: p["domain"])
            return .json(
                .object([
                    ("domain", .string(d.domain)), ("period", d.period.json),
                    ("sources", .array(d.sources.map(SourceJSON.source))),
                ]))
        },
        Route("GET", "/api/v1/domains/{domain}/readiness") { c, p in
            let d = try SourcesPage.load(c, domain: p["domain"])
            return .json(SourceJSON.readiness(SourcesPage.readiness(d), period: d.period.json))
        },
        Route("POST", "/api/v1/domains/{domain}/sources/{ip}/decision") { c, p in
            _ = try SourcesPage.decide(c, domain: p["domain"], ip: p["ip"])
            return .json(.object([("ok", .bool(true))]))
        },
        Route("GET", "/api/v1/sources/{ip}") { c, p in .json(try source(c, p["ip"])) },
        Route("GET", "/api/v1/reports") { c, _ in .json(try reports(c)) },
        Route("POST", "/api/v1/reports") { c, _ in try upload(c) },
        Route("GET", "/api/v1/reports/{id}") { c, p in .json(try report(c, PageRoutes.id(p["id"]))) },
        Route("GET", "/api/v1/reports/{id}/raw") { c, p in try ReportsPage.raw(c, id: PageRoutes.id(p["id"])) },
        Route("GET", "/api/v1/health") { c, _ in .json(try health(c)) },
        Route("GET", "/api/v1/export") { c, _ in try export(c) },
    ]

    static func route(_ method: String, _ path: [String], _ c: RequestContext) throws -> HTTPResponse {
        try Route.dispatch(table, method, path, c)
    }

    static func totals(_ t: Totals) -> JSONValue {
        .object([
            ("messages", .int(t.messages)), ("dmarc_pass", .int(t.dmarcPass)), ("dkim_pass", .int(t.dkimPass)),
            ("spf_pass", .int(t.spfPass)), ("both_fail", .int(t.bothFail)), ("quarantined", .int(t.quarantined)),
            ("rejected", .int(t.rejected)),
        ])
    }

    static func daily(_ days: [Int64: Totals], _ p: Period) -> JSONValue {
        .array(
            (p.from...p.to).map { day in
                let t = days[day] ?? Totals()
                return .object([("day", .string(DayMath.isoDate(day: day)))] + fields(totals(t)))
            })
    }

    static func fields(_ v: JSONValue) -> [(String, JSONValue)] {
        if case .object(let f) = v { return f }
        return []
    }

    static func policy(_ p: PublishedPolicy?) -> JSONValue {
        guard let p else { return .null }
        return .object([
            ("p", .optional(p.p)), ("sp", .optional(p.sp)), ("np", .optional(p.np)), ("adkim", .optional(p.adkim)),
            ("aspf", .optional(p.aspf)), ("pct", .optional(p.pct)), ("t", .optional(p.testing)),
            ("fo", .optional(p.fo)),
            ("reporter", .string(p.reporter)), ("report_end", .string(DayMath.isoDateTime(p.reportEnd))),
        ])
    }

    static func overview(_ c: RequestContext) throws -> JSONValue {
        let d = try OverviewPage.load(c)
        return .object([
            ("period", d.period.json), ("previous_period", d.period.previous.json), ("totals", totals(d.total)),
            ("previous_totals", totals(d.totalBefore)),
            (
                "domains",
                .array(
                    d.current.map { s in
                        .object(
                            [("domain", .string(s.domain))] + fields(totals(s.total)) + [
                                ("previous", totals(d.previous[s.domain] ?? Totals())),
                                ("policy", policy(d.policies[s.domain])),
                            ])
                    })
            ),
            ("daily", daily(d.days, d.period)),
        ])
    }

    static func domains(_ c: RequestContext) throws -> JSONValue {
        let registered = Dictionary(
            try c.store.registeredDomains().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return .object([
            (
                "domains",
                .array(
                    try c.store.knownDomains(visible: c.visibleDomains).map { d in
                        .object([
                            ("domain", .string(d)), ("registered", .bool(registered[d] != nil)),
                            ("dmarc_record", .optional(registered[d]?.dmarcRecord)),
                            ("policy", policy(try c.store.publishedPolicy(domain: d))),
                        ])
                    })
            )
        ])
    }

    static func sourceJSON(_ s: SourceSummary) -> JSONValue {
        .object(
            [
                ("ip", .string(s.ip)), ("ptr", .optional(s.ptr)), ("base_domain", .optional(s.baseDomain)),
                ("forward_confirmed", .bool(s.forwardConfirmed)),
                ("header_from", .array(s.headerFroms.map { .string($0) })),
            ] + fields(totals(s.totals)))
    }

    static func domain(_ c: RequestContext, _ name: String) throws -> JSONValue {
        let d = try DomainPage.load(c, domain: name)
        return .object([
            ("domain", .string(d.domain)), ("period", d.period.json), ("reporter", .optional(d.reporter)),
            ("failing_only", .bool(d.failingOnly)), ("totals", totals(d.series.total)),
            ("filtered_totals", d.filtered.map(totals) ?? .null),
            ("previous_totals", totals(d.before)), ("policy", policy(d.policy)),
            ("reporters", .array(d.reporters.map { .string($0) })), ("daily", daily(d.series.days, d.period)),
            (
                "organisations",
                .array(
                    d.groups.map { g in
                        .object(
                            [("name", .string(g.name)), ("named", .bool(g.named))] + fields(totals(g.totals)) + [
                                ("sources", .array(g.sources.map(sourceJSON)))
                            ])
                    })
            ),
        ])
    }

    static func summary(_ c: RequestContext, _ name: String) throws -> JSONValue {
        let d = try SummaryPage.load(c, domain: name)
        return .object([
            ("domain", .string(d.domain)), ("kind", .string(d.kind)), ("label", .string(d.summary.code)),
            ("period", d.period.json), ("previous_period", d.previous.json),
            ("days_with_reports", .int(d.coveredDays)), ("previous_days_with_reports", .int(d.previousCoveredDays)),
            ("totals", totals(d.now)),
            ("previous_totals", totals(d.before)),
            ("top_sources", .array(d.top.map(sourceJSON))), ("failing_sources", .array(d.failing.map(sourceJSON))),
            ("spoofing_sources", .array(d.spoofing.map(sourceJSON))),
            ("new_sources", .array(d.newSources.map(sourceJSON))), ("new_source_count", .int(d.newSourceCount)),
            ("gone_sources", .int(d.goneSources)),
        ])
    }

    static func recordJSON(_ r: RecordDetail) -> JSONValue {
        .object([
            ("report", .int(r.reportID)), ("reporter", .string(r.reporter)), ("domain", .string(r.domain)),
            ("begin", .string(DayMath.isoDateTime(r.begin))), ("end", .string(DayMath.isoDateTime(r.end))),
            ("source_ip", .string(r.sourceIP)), ("count", .int(r.count)), ("disposition", .optional(r.disposition)),
            ("dkim", .optional(r.dkim)), ("spf", .optional(r.spf)), ("header_from", .optional(r.headerFrom)),
            ("envelope_from", .optional(r.envelopeFrom)), ("envelope_to", .optional(r.envelopeTo)),
            (
                "reasons",
                .array(r.reasons.map { .object([("type", .string($0.type)), ("comment", .optional($0.comment))]) })
            ),
            (
                "dkim_results",
                .array(
                    r.dkimResults.map {
                        .object([
                            ("domain", .optional($0.domain)), ("selector", .optional($0.selector)),
                            ("result", .optional($0.result)),
                        ])
                    })
            ),
            (
                "spf_results",
                .array(
                    r.spfResults.map {
                        .object([
                            ("domain", .optional($0.domain)), ("scope", .optional($0.scope)),
                            ("result", .optional($0.result)),
                        ])
                    })
            ),
        ])
    }

    static func source(_ c: RequestContext, _ ip: String) throws -> JSONValue {
        let d = try SourcePage.load(c, ip: ip)
        return .object([
            ("ip", .string(d.ip)), ("period", d.period.json), ("ptr", .optional(d.info?.ptr)),
            ("forward_confirmed", .bool(d.info?.forwardConfirmed ?? false)),
            ("base_domain", .optional(d.info?.baseDomain)), ("totals", totals(d.activity.total)),
            ("daily", daily(d.activity.days, d.period)), ("record_count", .int(d.activity.recordCount)),
            ("records", .array(d.records.map(recordJSON))),
        ])
    }

    static func listingJSON(_ r: ReportListing) -> JSONValue {
        .object([
            ("id", .int(r.id)), ("reporter", .string(r.reporter)), ("email", .optional(r.email)),
            ("report_id", .string(r.reportID)), ("domain", .string(r.domain)),
            ("begin", .string(DayMath.isoDateTime(r.begin))), ("end", .string(DayMath.isoDateTime(r.end))),
            ("flavour", .string(r.flavour)), ("records", .int(r.records)), ("messages", .int(r.messages)),
            ("policy", .optional(r.policy)), ("warnings", .int(r.warnings)),
        ])
    }

    static func reports(_ c: RequestContext) throws -> JSONValue {
        var limit = 100
        if let text = c.request.query("limit") {
            guard let n = Int(text), (1...1000).contains(n) else {
                throw WebError.badRequest("limit must be from 1 to 1000")
            }
            limit = n
        }
        let filter = try ReportsPage.filter(c)
        let page = try ReportsPage.page(c)
        let reporter = c.request.query("reporter").flatMap { $0.isEmpty ? nil : $0 }
        let list = try c.store.reports(filter, reporter: reporter, limit: limit, offset: (page - 1) * limit)
        return .object([
            ("total", .int(try c.store.reportCount(filter, reporter: reporter))), ("page", .int(page)),
            ("limit", .int(limit)), ("reports", .array(list.map(listingJSON))),
        ])
    }

    static func report(_ c: RequestContext, _ id: Int64) throws -> JSONValue {
        let d = try ReportsPage.load(c, id: id)
        return .object(
            fields(listingJSON(d.listing)) + [
                ("org_name", .optional(d.orgName)), ("extra_contact_info", .optional(d.extraContactInfo)),
                ("generator", .optional(d.generator)), ("errors", .array(d.errors.map { .string($0) })),
                ("warnings", .array(d.warnings.map { .string($0) })), ("policy_published", policy(d.policy)),
                ("records", .array(d.records.map(recordJSON))),
            ])
    }

    static func upload(_ c: RequestContext) throws -> HTTPResponse {
        try c.requireAdmin()
        // Slices of the body; each is copied out only while it is imported.
        var files: [(String, ArraySlice<UInt8>)] = []
        if (c.request.headers["content-type"] ?? "").lowercased().hasPrefix("multipart/form-data") {
            files = c.request.multipartParts.filter { $0.filename != nil }.map { ($0.filename ?? "file", $0.data) }
        } else if !c.request.body.isEmpty {
            files = [(c.request.query("name") ?? "upload", c.request.body[...])]
        }
        guard !files.isEmpty else { throw WebError.badRequest("Send the report file as the request body.") }
        var out = UploadOutcome()
        for (name, bytes) in files {
            // A body sent as the file is handed over as it is, without a copy.
            let whole = bytes.startIndex == 0 && bytes.endIndex == c.request.body.endIndex
            let o = c.services.upload("api:" + name, whole ? c.request.body : Array(bytes), c.user.name)
            out.add(o)
        }
        try c.store.audit(user: c.user.name, action: "api.upload", detail: files.map(\.0).joined(separator: ", "))
        let json = JSONValue.object([
            ("documents", .int(out.documents)), ("imported", .int(out.imported)), ("duplicates", .int(out.duplicates)),
            ("failed", .int(out.failed)), ("ignored", .int(out.ignored)), ("records", .int(out.records)),
            ("messages", .int(out.messages)),
            (
                "failures",
                .array(out.failures.map { .object([("source", .string($0.source)), ("error", .string($0.error))]) })
            ),
        ])
        return .json(json, status: out.failed > 0 && out.imported == 0 ? 422 : 200)
    }

    static func health(_ c: RequestContext) throws -> JSONValue {
        try c.requireAdmin()
        let counts = try c.store.rawDocumentCounts()
        return .object([
            ("documents", .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("failed_total", .int((counts["failed"] ?? 0) + (counts["pending"] ?? 0))),
            (
                "failed",
                .array(
                    try c.store.rawDocuments(status: [.failed, .pending], newest: HealthPage.listLimit).map { d in
                        .object([
                            ("id", .int(d.id)), ("origin", .string(d.origin)), ("status", .string(d.status.rawValue)),
                            ("error", .optional(d.error)), ("size", .int(d.size)),
                        ])
                    })
            ),
            (
                "mailboxes",
                .array(
                    try c.store.mailboxes().map { m in
                        .object([
                            ("url", .string(m.url)), ("username", .string(m.username)),
                            ("last_run", m.lastRunAt.map { .string(DayMath.isoDateTime($0)) } ?? .null),
                            ("last_error", .optional(m.lastError)),
                        ])
                    })
            ),
        ])
    }

    /// parsedmarc's CSV or JSON of the reports the user may see.
    static func export(_ c: RequestContext) throws -> HTTPResponse {
        let format = c.request.query("format") ?? "json"
        guard format == "csv" || format == "json" else { throw WebError.badRequest("format must be csv or json") }
        var filter = try ReportsPage.filter(c)
        if let from = c.request.query("from") {
            guard let day = DayMath.day(fromISO: from) else { throw WebError.badRequest("from must be YYYY-MM-DD") }
            filter.fromDay = day
        }
        if let to = c.request.query("to") {
            guard let day = DayMath.day(fromISO: to) else { throw WebError.badRequest("to must be YYYY-MM-DD") }
            filter.toDay = day
        }
        // Written to a spool file and streamed, so an export of any size holds little memory.
        let spool = try SpoolFile()
        var failure: Error?
        do {
            try ParsedmarcFormat.export(c.store, filter, csv: format == "csv", rawCells: c.request.query("raw") == "1")
            {
                piece in
                if failure == nil {
                    do { try spool.write(piece) } catch { failure = error }
                }
            }
            if let failure { throw failure }
        } catch {
            spool.discard()
            throw error
        }
        var r = try spool.response(contentType: format == "csv" ? "text/csv; charset=utf-8" : "application/json")
        r.headers.append(("Content-Disposition", "attachment; filename=\"dmarc-aggregate.\(format)\""))
        return r
    }
}
