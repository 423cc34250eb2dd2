internal import CCurl
internal import CShims
import DMARCCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where and how to reach one IMAP folder.
public struct IMAPEndpoint: Sendable, Equatable {
    public enum Security: String, Sendable {
        /// `imaps://`: TLS from the first byte.
        case tls
        /// `imap://` upgraded with STARTTLS, which is required.
        case starttls
        /// `imap://` without TLS: only for tests on loopback, by explicit choice.
        case plaintext
    }

    public var host: String
    public var port: Int
    public var folder: String
    public var security: Security

    /// Parses `imaps://HOST[:PORT]/FOLDER` or `imap://HOST[:PORT]/FOLDER`.
    public init(url: String, allowPlaintext: Bool) throws {
        let scheme: String
        var rest: Substring
        if url.hasPrefix("imaps://") {
            scheme = "imaps"
            rest = url.dropFirst(8)
        } else if url.hasPrefix("imap://") {
            scheme = "imap"
            rest = url.dropFirst(7)
        } else {
            throw IMAPError("the mailbox URL must start with imaps:// (or imap:// for STARTTLS): \(url)")
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        // Never echo a URL that carries credentials.
        guard !authority.contains("@") else {
            throw IMAPError("put the user name in --user and the password in --password-file, not in the URL")
        }
        rest = slash < rest.endIndex ? rest[rest.index(after: slash)...] : ""
        var host = String(authority)
        var port = scheme == "imaps" ? 993 : 143
        if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else {
                throw IMAPError("invalid port in \(url)")
            }
            port = p
        }
        guard !host.isEmpty, !host.contains("@"), host.allSatisfy({ $0.isLetter || $0.isNumber || "-.".contains($0) })
        else {
            throw IMAPError("invalid host in \(url) (put the user in --user, not in the URL)")
        }
        self.host = host
        self.port = port
        folder = rest.isEmpty ? "INBOX" : String(rest)
        if scheme == "imaps" {
            security = .tls
        } else if allowPlaintext {
            guard ["127.0.0.1", "localhost", "::1"].contains(host) else {
                throw IMAPError("plain-text IMAP is only allowed to a loopback host (tests); use imaps:// or STARTTLS")
            }
            security = .plaintext
        } else {
            security = .starttls
        }
    }

    /// The URL without credentials, for display.
    public var display: String { "\(security == .tls ? "imaps" : "imap")://\(host):\(port)/\(folder)" }

    var baseURL: String { "\(security == .tls ? "imaps" : "imap")://\(host):\(port)" }
}

/// A mailbox operation that failed, in one line that names the mailbox and never the password.
public struct IMAPError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// The server cannot be reached or refuses the login: no point trying the next message.
    public let isConnectionProblem: Bool

    public init(_ d: String, connection: Bool = false) {
        description = d
        isConnectionProblem = connection
    }
}

/// Collects what a transfer writes, or streams it to a file descriptor, within a size limit.
final class TransferSink {
    var bytes: [UInt8] = []
    var fd: Int32 = -1
    var written = 0
    var limit = 1 << 20
    var overflow = false
    var writeFailed = false
}

/// libcurl's write callback; `userdata` is an unretained `TransferSink` that the caller keeps alive
/// for the transfer.
func transferWrite(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?
)
    -> Int
{
    guard let data, let userdata else { return 0 }
    let sink = Unmanaged<TransferSink>.fromOpaque(userdata).takeUnretainedValue()
    let n = size * count
    if sink.written + n > sink.limit {
        sink.overflow = true
        return 0  // aborts the transfer
    }
    sink.written += n
    if sink.fd >= 0 {
        var offset = 0
        while offset < n {
            let w = write(sink.fd, data + offset, n - offset)
            if w <= 0 {
                sink.writeFailed = true
                return 0
            }
            offset += w
        }
    } else {
        data.withMemoryRebound(to: UInt8.self, capacity: n) {
            sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: n))
        }
    }
    return n
}

/// An IMAP session on libcurl: one easy handle, so the connection is reused across commands.
/// Not `Sendable`: used by one fetch run on one thread.
public final class IMAPClient {
    private let handle: UnsafeMutableRawPointer
    public let endpoint: IMAPEndpoint
    private let user: String
    private let password: String
    private let timeout: Int
    private let caFile: String?

    private static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()

    public init(endpoint: IMAPEndpoint, user: String, password: String, timeout: Int = 30, caFile: String? = nil) throws
    {
        _ = Self.initialised
        guard let h = curl_easy_init() else { throw IMAPError("libcurl could not start") }
        handle = h
        self.endpoint = endpoint
        self.user = user
        self.password = password
        self.timeout = timeout
        self.caFile = caFile
    }

    deinit { curl_easy_cleanup(handle) }

    /// Runs one request and returns what the server wrote, or throws a one-line error.
    private func perform(path: String, request: String?, sink: TransferSink, wholeTransferLimit: Bool = true) throws {
        curl_easy_reset(handle)
        let url = endpoint.baseURL + "/" + Self.encode(path)
        cshim_curl_setopt_string(handle, CURLOPT_URL, url)
        cshim_curl_setopt_string(handle, CURLOPT_USERNAME, user)
        cshim_curl_setopt_string(handle, CURLOPT_PASSWORD, password)
        cshim_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        cshim_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, 15)
        // Commands get a total time limit; a message download only the stall limit below, so a large
        // message on a slow link is not cut off.
        if wholeTransferLimit { cshim_curl_setopt_long(handle, CURLOPT_TIMEOUT, timeout) }
        // A stalled transfer (under 1 byte/s for the timeout) is cut, however large the message.
        cshim_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
        cshim_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, timeout)
        switch endpoint.security {
        case .tls, .starttls: cshim_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        case .plaintext: cshim_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
        }
        if let caFile { cshim_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        if let request { cshim_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request) }
        cshim_curl_setopt_write_function(handle, transferWrite)
        let code = withExtendedLifetime(sink) { () -> CURLcode in
            cshim_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
            return curl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            if sink.overflow {
                throw IMAPError("\(endpoint.display): the message is larger than \(ByteCount.format(sink.limit))")
            }
            let connection =
                [
                    CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_USE_SSL_FAILED, CURLE_SSL_CONNECT_ERROR,
                    CURLE_PEER_FAILED_VERIFICATION, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING,
                ].contains(code) || (code == CURLE_LOGIN_DENIED && path.isEmpty)
            throw IMAPError(
                "\(endpoint.display): \(Self.explain(code, user: user, folder: path))", connection: connection)
        }
    }

    static func explain(_ code: CURLcode, user: String, folder: String) -> String {
        switch code {
        case CURLE_LOGIN_DENIED:
            return folder.isEmpty
                ? "login denied for user \(user) (wrong user or password)"
                : "the server refused to open the folder \(folder)"
        case CURLE_COULDNT_CONNECT: return "cannot connect (nothing listening, or blocked)"
        case CURLE_COULDNT_RESOLVE_HOST: return "the host name does not resolve"
        case CURLE_OPERATION_TIMEDOUT: return "timed out"
        case CURLE_USE_SSL_FAILED: return "the server does not offer STARTTLS (refused to send the password in clear)"
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION:
            return "TLS failed: \(String(cString: curl_easy_strerror(code)))"
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING: return "the connection was dropped"
        case CURLE_QUOTE_ERROR: return "the server refused the command"
        default: return String(cString: curl_easy_strerror(code))
        }
    }

    /// Folder names are sent percent-encoded in the URL path (RFC 5092).
    static func encode(_ path: String) -> String {
        var out = ""
        for b in path.utf8 {
            if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || "-._~;=/".utf8.contains(b)
            {
                out.append(Character(UnicodeScalar(b)))
            } else {
                out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 15, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Quotes a mailbox name for a command (RFC 3501 quoted string).
    static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences("\\", "\\\\").replacingOccurrences("\"", "\\\"") + "\""
    }

    func text(path: String, _ request: String) throws -> String {
        let sink = TransferSink()
        sink.limit = 64 << 20  // a UID SEARCH of a very large folder
        try perform(path: path, request: request, sink: sink)
        return String(decoding: sink.bytes, as: UTF8.self)
    }

    /// Whether a folder exists (LIST).
    public func folderExists(_ folder: String) throws -> Bool {
        let out = try text(path: "", "LIST \"\" \(Self.quote(folder))")
        return out.split(separator: "\n").contains { $0.hasPrefix("* LIST") }
    }

    /// The folder's UIDVALIDITY (STATUS).
    public func uidValidity(_ folder: String) throws -> UInt64 {
        let out = try text(path: "", "STATUS \(Self.quote(folder)) (UIDVALIDITY)")
        guard let range = out.firstRange(of: "UIDVALIDITY "),
            let value = UInt32(out[range.upperBound...].prefix { $0.isNumber })
        else { throw IMAPError("\(endpoint.display): the server did not give the folder's UIDVALIDITY") }
        return UInt64(value)
    }

    /// Every message UID in the folder, ascending.
    public func uids(_ folder: String) throws -> [UInt64] {
        let out = try text(path: folder, "UID SEARCH ALL")
        var uids: [UInt64] = []
        for line in out.split(separator: "\n") where line.hasPrefix("* SEARCH") {
            // UIDs are 32-bit (RFC 3501 nz-number); anything else is ignored.
            uids += line.dropFirst(8).split(separator: " ").compactMap { UInt32($0.trimmedASCII).map(UInt64.init) }
        }
        return uids.sorted()
    }

    /// Streams one message into `fd`, up to `limit` bytes.
    public func fetch(_ folder: String, uid: UInt64, to fd: Int32, limit: Int) throws -> Int {
        let sink = TransferSink()
        sink.fd = fd
        sink.limit = limit
        try perform(path: "\(folder);UID=\(uid)", request: nil, sink: sink, wholeTransferLimit: false)
        if sink.writeFailed { throw IMAPError("\(endpoint.display): cannot write the message to a temporary file") }
        return sink.written
    }

    /// Moves a message (UID MOVE, RFC 6851), creating the target folder when needed.
    public func move(_ folder: String, uid: UInt64, to target: String) throws {
        if try !folderExists(target) { _ = try text(path: "", "CREATE \(Self.quote(target))") }
        do {
            _ = try text(path: folder, "UID MOVE \(uid) \(Self.quote(target))")
        } catch let error as IMAPError where !error.isConnectionProblem {
            // Servers without MOVE (RFC 6851): copy, mark deleted, expunge.
            _ = try text(path: folder, "UID COPY \(uid) \(Self.quote(target))")
            _ = try text(path: folder, "UID STORE \(uid) +FLAGS.SILENT (\\Deleted)")
            _ = try text(path: folder, "EXPUNGE")
        }
    }

    /// Flags a message as seen.
    public func markSeen(_ folder: String, uid: UInt64) throws {
        _ = try text(path: folder, "UID STORE \(uid) +FLAGS (\\Seen)")
    }
}

@available(*, unavailable)
extension IMAPClient: Sendable {}
