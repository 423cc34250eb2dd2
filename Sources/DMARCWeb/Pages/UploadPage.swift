import DMARCCore
import DMARCStore

/// Upload: the same files `import` accepts, through a form.
enum UploadPage {
    static func render(_ c: RequestContext, outcome: HTML?) throws -> HTTPResponse {
        try c.requireAdmin()
        let t = c.t
        let body: HTML = """
            <h1>\(t("upload.title"))</h1>\(outcome ?? .empty)
            <form class="stack panel" method="post" action="/upload" enctype="multipart/form-data">\(Layout.csrfField(c))
            <label>\(t("upload.files"))<input type="file" name="file" multiple required></label>
            <p class="muted">\(t("upload.explain", t.bytes(c.maximumUpload)))</p>
            <button type="submit">\(t("upload.submit"))</button></form>
            """
        return Layout.page(c, title: t("upload.title"), section: "upload", body: body)
    }

    static func submit(_ c: RequestContext) throws -> HTTPResponse {
        try c.requireAdmin()
        let t = c.t
        let files = c.request.multipartParts.filter { $0.filename != nil && !$0.data.isEmpty }
        guard !files.isEmpty else { return try render(c, outcome: Layout.notice(t("upload.none"), error: true)) }
        var total = UploadOutcome()
        for f in files {
            // Copied out of the body one file at a time, as the importer takes an array.
            let o = c.services.upload("upload:" + (f.filename ?? "file"), Array(f.data), c.user.name)
            total.add(o)
        }
        try c.store.audit(
            user: c.user.name, action: "upload", detail: files.compactMap(\.filename).joined(separator: ", "))
        let failures = total.failures.map { f -> HTML in
            "<li class=\"wrap\"><strong>\(f.source)</strong>: \(Layout.english(f.error, t))</li>"
        }
        let summary = t(
            "upload.result", t.number(total.documents), t.number(total.imported), t.number(total.duplicates),
            t.number(total.failed), t.number(total.ignored), t.number(total.records))
        let outcome: HTML =
            "\(Layout.notice(summary, error: total.failed > 0))\(failures.isEmpty ? HTML.empty : "<ul>\(failures)</ul>")"
        return try render(c, outcome: outcome)
    }
}
