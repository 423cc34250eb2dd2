internal import CMicroHTTPD
internal import CShims
import DMARCCore

#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP request as the application sees it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    public var body: [UInt8]
}

/// What the application answers.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)] = []

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String) {
        self.status = status
        self.contentType = contentType
        self.body = Array(body.utf8)
    }
}

/// Where errors of the HTTP server come from.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Per-request state, kept in libmicrohttpd's `req_cls` slot between the calls of one request.
final class RequestState {
    var body: [UInt8] = []
    var tooLarge = false
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
        reqCls.pointee = Unmanaged.passRetained(RequestState()).toOpaque()
        return .YES
    }
    let state = Unmanaged<RequestState>.fromOpaque(reqCls.pointee!).takeUnretainedValue()
    if let uploadSize, uploadSize.pointee > 0 {
        if state.body.count + uploadSize.pointee > server.maximumBody {
            state.tooLarge = true
        } else if let uploadData {
            uploadData.withMemoryRebound(to: UInt8.self, capacity: uploadSize.pointee) {
                state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: uploadSize.pointee))
            }
        }
        uploadSize.pointee = 0
        return .YES
    }
    let request = HTTPRequest(
        method: method.map { String(cString: $0) } ?? "GET", path: url.map { String(cString: $0) } ?? "/",
        body: state.body)
    let response =
        state.tooLarge
        ? HTTPResponse(status: 413, body: "The request body is larger than \(ByteCount.format(server.maximumBody)).\n")
        : server.handler(request)
    return response.body.withUnsafeBytes { bytes -> MHD_Result in
        guard
            let r = MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
        else { return .NO }
        defer { MHD_destroy_response(r) }
        MHD_add_response_header(r, "Content-Type", response.contentType)
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff")
        MHD_add_response_header(r, "Cache-Control", "no-store")
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
    Unmanaged<RequestState>.fromOpaque(state).release()
    reqCls.pointee = nil
}

/// An HTTP server on GNU libmicrohttpd with an internal thread pool and limits on connections,
/// idle time and request body size. The handler is called on the pool's threads.
public final class HTTPServer: @unchecked Sendable {
    // @unchecked Sendable: `daemon` is set in start() before any request thread exists and cleared
    // in stop() after MHD_stop_daemon has joined them; the other properties are immutable.
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let maximumBody: Int
    private var daemon: OpaquePointer?
    public private(set) var port: Int = 0

    public init(maximumBody: Int = 64 << 10, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        self.handler = handler
        self.maximumBody = maximumBody
    }

    /// Listens on `host:port` (IPv4; port 0 picks a free one).
    public func start(host: String, port: Int, threads: Int = 4) throws {
        signal(SIGPIPE, SIG_IGN)
        guard
            let d = cshim_mhd_start(
                host, UInt16(port), UInt32(threads), 256, 30, 256 << 10, httpAccessHandler,
                Unmanaged.passUnretained(self).toOpaque(), httpRequestCompleted, nil)
        else {
            throw HTTPServerError(
                description: "cannot listen on \(host):\(port) (address in use, or not an IPv4 address of this host)")
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
