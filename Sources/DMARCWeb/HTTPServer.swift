internal import CMicroHTTPD
internal import CShims
import DMARCCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP request as the application sees it.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path, percent-decoded by libmicrohttpd, without the query.
    public var path: String
    /// Query arguments in order, decoded.
    public var query: [(String, String)] = []
    /// Header fields with lower-case names; a repeated field keeps its last value.
    public var headers: [String: String] = [:]
    public var body: [UInt8] = []
    /// The multipart/form-data parts, once parsed (see `multipartParts`).
    public var parts: [MultipartPart]?
    /// The peer's address, for sign-in throttling and the audit log.
    public var clientAddress: String = ""

    public init(
        method: String, path: String, query: [(String, String)] = [], headers: [String: String] = [:],
        body: [UInt8] = [], clientAddress: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.clientAddress = clientAddress
    }
}

/// What the application answers.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)] = []
    /// A body streamed from an open file instead of `body` (large downloads): libmicrohttpd
    /// sends it and closes the descriptor.
    public var file: (descriptor: Int32, size: UInt64)?

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = Array(body.utf8)
    }

    public init(status: Int, contentType: String, bytes: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = bytes
    }
}

/// Where errors of the HTTP server come from.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// The request line, headers, query and peer address of a request (no body).
func requestHead(_ connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?) -> HTTPRequest
{
    var headers: [String: String] = [:]
    for (name, value) in connectionValues(connection, .HEADER_KIND) { headers[name.lowercased()] = value }
    var address = [UInt8](repeating: 0, count: 64)
    let found = address.withUnsafeMutableBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { cshim_mhd_client_address(connection, $0.baseAddress, $0.count) }
    }
    return HTTPRequest(
        method: method.map { String(cString: $0) } ?? "GET", path: url.map { String(cString: $0) } ?? "/",
        query: connectionValues(connection, .GET_ARGUMENT_KIND), headers: headers,
        clientAddress: found == 0 ? String(decoding: address.prefix { $0 != 0 }, as: UTF8.self) : "")
}

/// Per-request state, kept in libmicrohttpd's `req_cls` slot between the calls of one request.
final class RequestState {
    var body: [UInt8] = []
    var limit = 0
    /// Bytes of this request counted against the server's in-flight budget.
    var reserved = 0
    var overloaded = false
}

/// Collects the header fields or query arguments of a request (libmicrohttpd's iterator).
final class ValueCollector {
    var pairs: [(String, String)] = []
}

func collectValue(
    _ cls: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind, _ key: UnsafePointer<CChar>?,
    _ value: UnsafePointer<CChar>?
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let collector = Unmanaged<ValueCollector>.fromOpaque(cls).takeUnretainedValue()
    collector.pairs.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
    return .YES
}

func connectionValues(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [(String, String)] {
    let collector = ValueCollector()
    withExtendedLifetime(collector) {
        _ = MHD_get_connection_values(connection, kind, collectValue, Unmanaged.passUnretained(collector).toOpaque())
    }
    return collector.pairs
}

/// libmicrohttpd's access handler: called first with the headers, then once per body chunk, then
/// with an empty chunk. `cls` is the unretained `HTTPServer`, alive while the daemon runs.
func httpAccessHandler(
    _ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?, _ url: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?, _ version: UnsafePointer<CChar>?, _ uploadData: UnsafePointer<CChar>?,
    _ uploadSize: UnsafeMutablePointer<Int>?, _ reqCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let reqCls else { return .NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    if reqCls.pointee == nil {
        // Balanced by httpRequestCompleted, which runs however the request ends.
        let state = RequestState()
        reqCls.pointee = Unmanaged.passRetained(state).toOpaque()
        // The limit is chosen from the request line and headers, before any of the body is read.
        let head = requestHead(connection, url: url, method: method)
        state.limit = server.bodyLimit(head)
        // A declared length over the limit is answered now: libmicrohttpd then never reads the
        // body (no 100 Continue) and closes the connection after the answer. The length is also
        // reserved against the in-flight budget at once, so a body that cannot fit is refused
        // before it is sent too.
        if let declared = head.headers["content-length"].flatMap({ Int($0) }), declared > 0 {
            if declared > state.limit {
                return queue(server.refusal(head, 413, state.limit), on: connection, server: server)
            }
            guard server.reserve(declared) else {
                return queue(server.refusal(head, 503, state.limit), on: connection, server: server)
            }
            state.reserved = declared
        }
        return .YES
    }
    let state = Unmanaged<RequestState>.fromOpaque(reqCls.pointee!).takeUnretainedValue()
    if let uploadSize, uploadSize.pointee > 0 {
        let size = uploadSize.pointee
        // Only a chunked body, whose length is not declared, can pass the limit here. No answer
        // can be queued while upload data is being delivered (microhttpd.h), so the connection
        // is closed instead of reading the rest.
        guard state.body.count + size <= state.limit else { return .NO }
        let unreserved = state.body.count + size - state.reserved
        if !state.overloaded, unreserved > 0 {
            if server.reserve(unreserved) {
                state.reserved += unreserved
            } else {
                // Too many large bodies at once: refuse this one rather than run out of memory.
                state.overloaded = true
                state.body = []
            }
        }
        if let uploadData, !state.overloaded {
            uploadData.withMemoryRebound(to: UInt8.self, capacity: size) {
                state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: size))
            }
        }
        uploadSize.pointee = 0
        return .YES
    }
    var request = requestHead(connection, url: url, method: method)
    if state.overloaded { return queue(server.refusal(request, 503, state.limit), on: connection, server: server) }
    request.body = state.body
    state.body = []
    return queue(server.handler(request), on: connection, server: server)
}

/// Hands a response to libmicrohttpd for the connection.
func queue(_ response: HTTPResponse, on connection: OpaquePointer, server: HTTPServer) -> MHD_Result {
    response.body.withUnsafeBytes { bytes -> MHD_Result in
        let made: OpaquePointer? =
            if let file = response.file {
                MHD_create_response_from_fd64(file.size, file.descriptor)
            } else {
                MHD_create_response_from_buffer(
                    bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
            }
        guard let r = made else {
            if let file = response.file { close(file.descriptor) }
            return .NO
        }
        defer { MHD_destroy_response(r) }
        MHD_add_response_header(r, "Content-Type", response.contentType)
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff")
        for (name, value) in server.defaultHeaders where !response.headers.contains(where: { $0.0 == name }) {
            MHD_add_response_header(r, name, value)
        }
        for (name, value) in response.headers { MHD_add_response_header(r, name, value) }
        return MHD_queue_response(connection, UInt32(response.status), r)
    }
}

/// Releases the request state retained in `httpAccessHandler`.
func httpRequestCompleted(
    _ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
    _ reqCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ code: MHD_RequestTerminationCode
) {
    guard let reqCls, let state = reqCls.pointee else { return }
    let request = Unmanaged<RequestState>.fromOpaque(state)
    if let cls, request.takeUnretainedValue().reserved > 0 {
        Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue().release(request.takeUnretainedValue().reserved)
    }
    request.release()
    reqCls.pointee = nil
}

/// An HTTP server on GNU libmicrohttpd with an internal thread pool and limits on connections,
/// idle time and request body size. The handler is called on the pool's threads.
public final class HTTPServer: @unchecked Sendable {
    // @unchecked Sendable: `daemon` is set in start() before any request thread exists and cleared
    // in stop() after MHD_stop_daemon has joined them; the other properties are immutable.
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    /// The largest body accepted for a request (seen without its body); a larger one is answered
    /// 413 unread.
    let bodyLimit: @Sendable (HTTPRequest) -> Int
    /// The answer when the server refuses a request before its handler runs: 413 (the body is
    /// over the limit given) or 503 (too many bodies in memory at once).
    let refusal: @Sendable (_ request: HTTPRequest, _ status: Int, _ limit: Int) -> HTTPResponse
    /// Connections one client address may hold at once (0: no limit).
    let connectionsPerAddress: Int
    /// Request bodies held in memory at once, across connections, at most this many bytes.
    let maximumInFlight: Int
    private let inFlight = Mutex(0)

    /// Counts `n` more body bytes in memory, unless that passes the budget.
    func reserve(_ n: Int) -> Bool {
        inFlight.withLock { total in
            guard total + n <= maximumInFlight else { return false }
            total += n
            return true
        }
    }

    func release(_ n: Int) { inFlight.withLock { $0 -= n } }

    /// Headers every response carries unless it sets its own.
    let defaultHeaders: [(String, String)] = [("Cache-Control", "no-store")]
    private var daemon: OpaquePointer?
    public private(set) var port: Int = 0

    public init(
        bodyLimit: @escaping @Sendable (HTTPRequest) -> Int = { _ in 64 << 10 },
        maximumInFlight: Int = 256 << 20,
        connectionsPerAddress: Int = 32,
        refusal: @escaping @Sendable (HTTPRequest, Int, Int) -> HTTPResponse = HTTPServer.plainRefusal,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) {
        self.handler = handler
        self.bodyLimit = bodyLimit
        self.maximumInFlight = maximumInFlight
        self.connectionsPerAddress = connectionsPerAddress
        self.refusal = refusal
    }

    /// A refusal in plain English text.
    @Sendable public static func plainRefusal(_ request: HTTPRequest, _ status: Int, _ limit: Int) -> HTTPResponse {
        status == 413
            ? HTTPResponse(status: 413, body: "The request body is larger than \(ByteCount.format(limit)).\n")
            : HTTPResponse(status: status, body: "The server is receiving too much at once; try again shortly.\n")
    }

    /// Listens on `host:port`: an IPv4 or IPv6 address literal (port 0 picks a free one).
    public func start(host: String, port: Int, threads: Int = 4) throws {
        signal(SIGPIPE, SIG_IGN)
        guard
            let d = cshim_mhd_start(
                host, UInt16(port), UInt32(threads), 256, UInt32(max(connectionsPerAddress, 0)), 30, 256 << 10,
                httpAccessHandler,
                Unmanaged.passUnretained(self).toOpaque(), httpRequestCompleted,
                Unmanaged.passUnretained(self).toOpaque())
        else {
            throw HTTPServerError(
                description:
                    "cannot listen on \(host.contains(":") ? "[\(host)]" : host):\(port) (address in use, or not an IPv4 or IPv6 address of this host)"
            )
        }
        daemon = d
        self.port = Int(cshim_mhd_bound_port(d))
    }

    /// Stops accepting and waits for the request threads to finish.
    public func stop() {
        guard let d = daemon else { return }
        MHD_stop_daemon(d)
        daemon = nil
    }

    deinit { stop() }
}

/// A temporary file for a large response body: written first, then streamed by libmicrohttpd.
/// The file is unlinked at once, so it disappears when the descriptor closes.
final class SpoolFile {
    let descriptor: Int32
    private(set) var size: UInt64 = 0
    private var buffer: [UInt8] = []
    /// Set once a response owns the descriptor (libmicrohttpd closes it then).
    private var handedOver = false
    private var closed = false

    init() throws {
        var template = Array("/tmp/dmarcwatch-response-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw HTTPServerError(description: "cannot create a temporary file") }
        unlink(String(cString: template))
        descriptor = fd
    }

    func write(_ bytes: some Collection<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func write(_ text: String) throws { try write(text.utf8) }

    private func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard n > 0 else { throw HTTPServerError(description: "cannot write a temporary file") }
            offset += n
        }
        size += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// The response that streams the file from its start; the response owns the descriptor.
    func response(contentType: String) throws -> HTTPResponse {
        try flush()
        lseek(descriptor, 0, SEEK_SET)
        var r = HTTPResponse(status: 200, contentType: contentType, bytes: [])
        r.file = (descriptor, size)
        handedOver = true
        return r
    }

    /// Closes the file when no response took it (an error on the way).
    func discard() {
        guard !handedOver, !closed else { return }
        closed = true
        close(descriptor)
    }

    deinit { discard() }
}
