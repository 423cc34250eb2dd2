/// Errors that become HTTP answers: under /api/ a JSON body `{"error": "…"}` in English, for
/// scripts; elsewhere a page in the user's language, with the site's layout when signed in.
enum WebError: Error {
    case unauthorized, forbidden, notFound, badCSRF
    /// A request the server cannot use, explained in English only.
    case badRequest(String)
    /// A request the server cannot use: a catalogue key and its arguments.
    case invalid(String, [String])
    case internalError
    /// The body is larger than the limit (bytes); answered by the HTTP server before the app.
    case tooLarge(Int)
    /// Too many request bodies in memory at once.
    case busy

    var status: Int {
        switch self {
        case .unauthorized: 401
        case .forbidden, .badCSRF: 403
        case .notFound: 404
        case .badRequest, .invalid: 400
        case .internalError: 500
        case .tooLarge: 413
        case .busy: 503
        }
    }

    /// What went wrong, in the language of `t`.
    func message(_ t: Localizer) -> String {
        switch self {
        case .unauthorized: t("error.unauthorized")
        case .forbidden: t("error.forbidden")
        case .notFound: t("error.notFound")
        case .badCSRF: t("error.badCSRF")
        case .badRequest(let why): why
        case .invalid(let key, let arguments): t.string(key, arguments)
        case .internalError: t("error.internal")
        case .tooLarge(let limit): t("error.tooLarge", t.bytes(limit))
        case .busy: t("error.busy")
        }
    }

    /// The message as page content: English-only messages are marked as such.
    func messageHTML(_ t: Localizer) -> HTML {
        if case .badRequest(let why) = self { return Layout.english(why, t) }
        return "\(message(t))"
    }

    /// The answer without a session (or for the API).
    func response(api: Bool, t: Localizer) -> HTTPResponse {
        var r: HTTPResponse
        if api {
            r = .json(.object([("error", .string(message(Localizer(.en))))]), status: status)
        } else {
            let page: HTML = """
                <!doctype html>
                <html lang="\(t.language.rawValue)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                <title>\(t("error.title", String(status))) · DMARCWatch</title><link rel="stylesheet" href="/static/app.css"></head>
                <body><header class="top"><a class="brand" href="/">DMARCWatch</a></header>
                <main>\(body(t))</main></body></html>
                """
            r = .html(page, status: status)
        }
        if case .unauthorized = self { r.headers.append(("WWW-Authenticate", "Bearer")) }
        return r
    }

    /// The error as a page of the site, for a signed-in user.
    func page(_ c: RequestContext) -> HTTPResponse {
        Layout.page(c, title: c.t("error.title", String(status)), section: "", body: body(c.t), status: status)
    }

    private func body(_ t: Localizer) -> HTML {
        """
        <h1>\(t("error.title", String(status)))</h1>\(Layout.notice(messageHTML(t), error: true))
        <p><a href="/">\(t("error.home"))</a></p>
        """
    }
}
