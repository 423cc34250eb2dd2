/// The server for the web app, with the app's body limits, refusals and per-address limit.
extension HTTPServer {
    public convenience init(app: WebApp, maximumInFlight: Int = 256 << 20) {
        self.init(
            bodyLimit: app.bodyLimit, maximumInFlight: maximumInFlight,
            connectionsPerAddress: app.connectionsPerAddress,
            refusal: { request, status, limit in app.refusal(request, status: status, limit: limit) },
            handler: app.handle)
    }
}
