import Foundation

/// A minimal HTTP/1.0 client over a loopback socket, for live tests of the server: one request
/// per connection, the whole answer read until the server closes.
public struct HTTPTestClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        /// Header fields with lower-case names, in order (Set-Cookie may repeat).
        public var headers: [(String, String)]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }

        public func header(_ name: String) -> String? { headers.first(where: { $0.0 == name.lowercased() })?.1 }
        public func headers(_ name: String) -> [String] { headers.filter { $0.0 == name.lowercased() }.map(\.1) }
    }

    public let port: Int
    /// A loopback address literal: IPv4, or IPv6 without brackets.
    public let host: String
    /// Cookies sent with every request, and updated from Set-Cookie answers when `remember`.
    public var cookies: [String: String] = [:]

    public init(port: Int, host: String = "127.0.0.1") {
        self.port = port
        self.host = host
    }

    public mutating func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [],
        remember: Bool = true
    ) throws -> Response {
        let response = try Self.send(
            host: host, port: port, method: method, path: path,
            headers: headers
                + (cookies.isEmpty
                    ? [] : [("Cookie", cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; "))]),
            body: body)
        if remember {
            for line in response.headers("set-cookie") {
                let pair = line.split(separator: ";").first ?? ""
                guard let eq = pair.firstIndex(of: "=") else { continue }
                let name = String(pair[..<eq])
                let value = String(pair[pair.index(after: eq)...])
                if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
            }
        }
        return response
    }

    public mutating func get(_ path: String, headers: [(String, String)] = []) throws -> Response {
        try request("GET", path, headers: headers)
    }

    /// POSTs URL-encoded form fields.
    public mutating func post(_ path: String, form: [(String, String)], headers: [(String, String)] = []) throws
        -> Response
    {
        let body = form.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try request(
            "POST", path, headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(body.utf8))
    }

    public static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// A connected loopback socket with a receive timeout.
    public static func connectSocket(host: String = "127.0.0.1", port: Int, timeout seconds: Int = 60) throws -> Int32 {
        let v6 = host.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var ok: Int32 = -1
        if v6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = UInt16(port).bigEndian
            if inet_pton(AF_INET6, host, &addr.sin6_addr) == 1 {
                ok = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                    }
                }
            }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr(host)
            addr.sin_port = UInt16(port).bigEndian
            ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard ok == 0 else {
            close(fd)
            throw Failure(description: "cannot connect to \(authority(host, port))")
        }
        return fd
    }

    /// `host:port` as a URL or Host header writes it (IPv6 in brackets).
    static func authority(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Sends only the request head, declaring a body of `declaredLength` bytes that never
    /// comes, and reads the answer: for checking that the server answers without the body.
    /// Throws when nothing arrives within `timeout` seconds.
    public static func sendHeadOnly(
        port: Int, method: String, path: String, headers: [(String, String)], declaredLength: Int, timeout: Int = 5
    ) throws -> Response {
        let fd = try connectSocket(port: port, timeout: timeout)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "Content-Length: \(declaredLength)\r\n\r\n"
        _ = Array(head.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return try readResponse(fd, method: method, path: path)
    }

    public static func send(
        host: String = "127.0.0.1", port: Int, method: String, path: String, headers: [(String, String)],
        body: [UInt8]
    ) throws -> Response {
        let fd = try connectSocket(host: host, port: port)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.0\r\nHost: \(authority(host, port))\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var request = Array(head.utf8)
        request += body
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server may answer (413) and close before reading it all
            sent += n
        }
        return try readResponse(fd, method: method, path: path)
    }

    /// Reads an answer until the server closes the connection (or the receive timeout).
    static func readResponse(_ fd: Int32, method: String, path: String) throws -> Response {
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        guard let split = findHeaderEnd(response) else {
            throw Failure(description: "no HTTP answer from \(method) \(path)")
        }
        let lines = String(decoding: response[0..<split], as: UTF8.self).components(separatedBy: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw Failure(description: "malformed status line from \(method) \(path)")
        }
        var fields: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields.append(
                (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return Response(status: status, headers: fields, body: Array(response[(split + 4)...]))
    }

    static func findHeaderEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4)
        where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }
}
