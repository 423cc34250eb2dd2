import DMARCCore
import DMARCStore

/// Signing in and out. The sign-in form has its own CSRF token (a cookie and a field that must
/// match), so another site cannot sign a browser in to an account of its choosing.
enum SignInPage {
    static func form(_ request: HTTPRequest, error: String?, status: Int = 200) -> HTTPResponse {
        let t = Localizer(.negotiate(request.acceptedLanguages))
        // Reuse the browser's token: a second GET (another tab, a favicon redirect) must not
        // invalidate a form already on screen.
        let existing = request.cookies[SessionCookie.signInName].flatMap { SecretToken.isWellFormed($0) ? $0 : nil }
        let token = existing ?? SecretToken.make()
        let next = PageRoutes.localPath(request.query("next") ?? request.form["next"])
        let page: HTML = """
            <!doctype html>
            <html lang="\(t.language.rawValue)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(t("signin.title")) · DMARCWatch</title><link rel="stylesheet" href="/static/app.css"></head>
            <body><main><div class="signin"><h1>DMARCWatch</h1>
            \(error.map { Layout.notice($0, error: true) } ?? .empty)
            <form class="stack" method="post" action="/signin">
            <input type="hidden" name="csrf" value="\(token)"><input type="hidden" name="next" value="\(next)">
            <label>\(t("signin.name"))<input name="name" autocomplete="username" required autofocus></label>
            <label>\(t("signin.password"))<input name="password" type="password" autocomplete="current-password" required></label>
            <button type="submit">\(t("signin.submit"))</button></form>
            <p class="muted">\(t("signin.help"))</p></div></main></body></html>
            """
        var r = HTTPResponse.html(page, status: status)
        r.headers.append(SessionCookie.set(SessionCookie.signInName, token, request: request, maxAge: 3600))
        return r
    }

    /// A hash to verify against when the user does not exist, so the answer takes as long.
    static let decoy: String = (try? PasswordHasher.hash("decoy-password-never-used")) ?? "$y$"

    static func submit(_ request: HTTPRequest, store: ReportStore) throws -> HTTPResponse {
        let t = Localizer(.negotiate(request.acceptedLanguages))
        let f = request.form
        guard let sent = f["csrf"], let cookie = request.cookies[SessionCookie.signInName],
            SecretToken.isWellFormed(cookie), constantTimeEqual(Array(sent.utf8), Array(cookie.utf8))
        else { throw WebError.badCSRF }
        let name = (f["name"] ?? "").trimmingSpaces()
        let password = f["password"] ?? ""
        // No account has a longer name; refused before anything is written.
        guard name.utf8.count <= 64, !name.isEmpty else { return form(request, error: t("signin.failed"), status: 401) }
        let keys = ["user:" + name.lowercased(), "address:" + request.clientAddress]
        for key in keys where try store.signInLockedUntil(key: key) != nil {
            try store.audit(user: name, action: "signin.throttled", detail: request.clientAddress)
            return form(request, error: t("signin.throttled"), status: 429)
        }
        let found = try store.user(named: name)
        let ok = PasswordHasher.verify(password, against: found?.1 ?? decoy) && found != nil
        guard ok, let (user, _) = found else {
            // Five failures lock a user name; an address gets more room, since everyone behind a
            // proxy or NAT shares one.
            try store.recordSignInFailure(key: keys[0], limit: 5)
            try store.recordSignInFailure(key: keys[1], limit: 20)
            try store.audit(user: name, action: "signin.failed", detail: request.clientAddress)
            return form(request, error: t("signin.failed"), status: 401)
        }
        try store.clearSignInFailures(key: keys[0])
        let token = SecretToken.make()
        try store.createSession(tokenHash: SecretToken.digest(token), userID: user.id, csrfToken: SecretToken.make())
        try store.audit(user: user.name, action: "signin", detail: request.clientAddress)
        var r = HTTPResponse.redirect(PageRoutes.localPath(f["next"]))
        r.headers.append(
            SessionCookie.set(SessionCookie.name, token, request: request, maxAge: ReportStore.sessionLifetime))
        r.headers.append(SessionCookie.set(SessionCookie.signInName, "", request: request, maxAge: 0))
        return r
    }

    static func signOut(_ c: RequestContext) throws -> HTTPResponse {
        if let token = c.request.cookies[SessionCookie.name] {
            try c.store.deleteSession(tokenHash: SecretToken.digest(token))
        }
        try c.store.audit(user: c.user.name, action: "signout", detail: nil)
        var r = HTTPResponse.redirect("/signin")
        r.headers.append(SessionCookie.set(SessionCookie.name, "", request: c.request, maxAge: 0))
        return r
    }
}
