/// One entry of a route table: a method, a path pattern whose `{name}` segments match any one
/// segment, and what answers it. The tables are data, so tests and the OpenAPI check read them.
struct Route: Sendable {
    let method: String
    /// E.g. `/domains/{domain}/sources/{ip}/decision`.
    let pattern: String
    let handle: @Sendable (RequestContext, Route.Parameters) throws -> HTTPResponse

    init(
        _ method: String, _ pattern: String,
        _ handle: @escaping @Sendable (RequestContext, Route.Parameters) throws -> HTTPResponse
    ) {
        self.method = method
        self.pattern = pattern
        self.handle = handle
        segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private let segments: [String]

    /// The values of a pattern's `{name}` segments.
    struct Parameters {
        var values: [String: String] = [:]
        subscript(_ name: String) -> String { values[name] ?? "" }
    }

    /// The parameters when `path` (split into segments) matches the pattern.
    func match(_ path: [String]) -> Parameters? {
        guard path.count == segments.count else { return nil }
        var p = Parameters()
        for (pattern, value) in zip(segments, path) {
            if pattern.hasPrefix("{"), pattern.hasSuffix("}") {
                p.values[String(pattern.dropFirst().dropLast())] = value
            } else if pattern != value {
                return nil
            }
        }
        return p
    }

    /// The first route of `table` for the method and path, answered.
    static func dispatch(_ table: [Route], _ method: String, _ path: [String], _ c: RequestContext) throws
        -> HTTPResponse
    {
        for route in table where route.method == method {
            if let p = route.match(path) { return try route.handle(c, p) }
        }
        throw WebError.notFound
    }
}
