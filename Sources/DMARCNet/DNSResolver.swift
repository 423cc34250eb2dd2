internal import CShims
import DMARCCore

#if canImport(Glibc)
    import Glibc
#endif

/// The outcome of one DNS question, with the failure kinds told apart.
public enum DNSResult<Value: Sendable>: Sendable {
    /// The name has records of the type asked.
    case records(Value)
    /// The name does not exist (NXDOMAIN).
    case nxdomain
    /// The name exists but has no records of that type (NOERROR, empty answer).
    case noData
    /// The server failed (SERVFAIL) or refused; `rcode` says which.
    case serverFailure(rcode: UInt8)
    /// No answer within the timeout.
    case timeout
    /// The server could not be reached, or the answer was unreadable.
    case failure(String)

    /// The records, or `nil` for every other outcome.
    public var value: Value? {
        if case .records(let v) = self { return v }
        return nil
    }

    /// NXDOMAIN or no data: "nothing there" as opposed to an error.
    public var isEmpty: Bool {
        switch self {
        case .nxdomain, .noData: true
        default: false
        }
    }

    /// A short description of a non-answer, for findings.
    public var problem: String? {
        switch self {
        case .records: nil
        case .nxdomain: "the name does not exist (NXDOMAIN)"
        case .noData: "no record of this type"
        case .serverFailure(let rcode):
            rcode == 2 ? "the DNS server failed (SERVFAIL)" : "the DNS server refused (rcode \(rcode))"
        case .timeout: "no answer from the DNS server (timeout)"
        case .failure(let why): why
        }
    }

    func map<T>(_ f: (Value) -> T) -> DNSResult<T> {
        switch self {
        case .records(let v): .records(f(v))
        case .nxdomain: .nxdomain
        case .noData: .noData
        case .serverFailure(let r): .serverFailure(rcode: r)
        case .timeout: .timeout
        case .failure(let s): .failure(s)
        }
    }
}

/// Where to send questions and how long to wait.
public struct DNSConfiguration: Sendable, Equatable {
    /// An IPv4 address, or `nil` for the system's resolvers (`/etc/resolv.conf`).
    public var server: String?
    public var port: Int = 53
    /// Seconds per try (glibc's resolver counts whole seconds).
    public var timeout: Int = 3
    public var tries: Int = 2

    public init(server: String? = nil, port: Int = 53, timeout: Int = 3, tries: Int = 2) {
        self.server = server
        self.port = port
        self.timeout = timeout
        self.tries = tries
    }

    /// Parses `HOST[:PORT]`, where HOST is an IPv4 address or `localhost`.
    public init(nameserver: String, timeout: Int = 3) throws {
        var host = nameserver
        var port = 53
        if let colon = nameserver.lastIndex(of: ":") {
            host = String(nameserver[..<colon])
            guard let p = Int(nameserver[nameserver.index(after: colon)...]), (1...65535).contains(p) else {
                throw DNSConfigurationError("invalid port in \(nameserver)")
            }
            port = p
        }
        if host == "localhost" { host = "127.0.0.1" }
        var probe = in_addr()
        guard inet_pton(AF_INET, host, &probe) == 1 else {
            throw DNSConfigurationError("the nameserver must be an IPv4 address (HOST[:PORT]), not \(host)")
        }
        self.init(server: host, port: port, timeout: timeout)
    }
}

/// A bad `--nameserver` value.
public struct DNSConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// A stub resolver on glibc's libresolv (`res_nmkquery` + `res_nsend`, which retries and falls back
/// to TCP for truncated answers). Each question uses its own resolver state, so one instance can
/// be used from many threads at once. CNAME chains in answers are followed.
public struct DNSResolver: Sendable {
    public let configuration: DNSConfiguration

    public init(_ configuration: DNSConfiguration = DNSConfiguration()) {
        self.configuration = configuration
    }

    /// All records of the answer to `name`/`type` (CNAMEs included), or why there are none.
    public func query(_ name: String, type: UInt16) -> DNSResult<[DNSRecord]> {
        guard let state = cshim_res_alloc() else { return .failure("out of memory") }
        defer { cshim_res_free(state) }
        guard cshim_res_ninit(state) == 0 else { return .failure("the system resolver could not start") }
        defer { cshim_res_nclose(state) }
        let server = configuration.server
        let rc = cshim_res_set_nameserver(
            state, server, Int32(configuration.port), Int32(configuration.timeout), Int32(configuration.tries))
        guard rc == 0 else { return .failure("invalid nameserver \(server ?? "")") }
        var query = [UInt8](repeating: 0, count: 512)
        let qlen = cshim_res_nmkquery(state, name, Int32(type), &query, Int32(query.count))
        guard qlen > 0 else { return .failure("\(name) is not a valid DNS name") }
        var answer = [UInt8](repeating: 0, count: 65_536)
        errno = 0
        let n = cshim_res_nsend(state, query, qlen, &answer, Int32(answer.count))
        if n < 0 {
            let code = errno
            // On SERVFAIL or REFUSED, res_nsend gives up with -1 (errno ETIMEDOUT) but leaves the
            // server's reply in the buffer: a reply to our query (same id, QR set) tells them apart.
            if answer[0] == query[0], answer[1] == query[1], answer[2] & 0x80 != 0, answer[3] & 0x0F != 0 {
                return .serverFailure(rcode: answer[3] & 0x0F)
            }
            if code == ETIMEDOUT || code == 0 { return .timeout }
            if code == ECONNREFUSED {
                return .failure(
                    "the DNS server refused the connection (nothing listening at \(server ?? "the system resolver"):\(configuration.port))"
                )
            }
            return .failure("DNS query failed: \(String(cString: strerror(code)))")
        }
        guard let message = try? DNSMessage(Array(answer.prefix(Int(n)))) else {
            return .failure("the DNS answer for \(name) could not be read")
        }
        switch message.rcode {
        case 0:
            return message.answers.isEmpty ? .noData : .records(message.answers)
        case 3:
            return .nxdomain
        default:
            return .serverFailure(rcode: message.rcode)
        }
    }

    /// The records of `type` at `name`, after following CNAMEs within the answer.
    func records(_ name: String, type: UInt16) -> DNSResult<[DNSRecord]> {
        let result = query(name, type: type)
        guard case .records(let all) = result else { return result }
        var target = DNSResolver.normalize(name)
        var seen: Set<String> = []
        while let cname = all.first(where: { $0.name == target && $0.type == DNSType.cname }),
            case .cname(let next) = cname.data,
            seen.insert(target).inserted
        {
            target = next
        }
        let matching = all.filter { $0.name == target && $0.type == type }
        return matching.isEmpty ? .noData : .records(matching)
    }

    /// The CNAME chain `name` goes through, as the answer to a TXT question shows it.
    public func cnameChain(_ name: String, type: UInt16 = DNSType.txt) -> [String] {
        guard case .records(let all) = query(name, type: type) else { return [] }
        var chain: [String] = []
        var target = DNSResolver.normalize(name)
        while let cname = all.first(where: { $0.name == target && $0.type == DNSType.cname }),
            case .cname(let next) = cname.data,
            !chain.contains(next), chain.count < 16
        {
            chain.append(next)
            target = next
        }
        return chain
    }

    /// TXT records, each one's strings joined without separator (RFC 7208 §3.3, RFC 7489 §6.1).
    public func txt(_ name: String) -> DNSResult<[String]> {
        records(name, type: DNSType.txt).map { rs in
            rs.compactMap { r in
                if case .txt(let strings) = r.data { return String(decoding: strings.joined(), as: UTF8.self) }
                return nil
            }
        }
    }

    public func ipv4(_ name: String) -> DNSResult<[String]> {
        records(name, type: DNSType.a).map { rs in
            rs.compactMap { r in
                if case .a(let b) = r.data { return b.map(String.init).joined(separator: ".") }
                return nil
            }
        }
    }

    public func ipv6(_ name: String) -> DNSResult<[String]> {
        records(name, type: DNSType.aaaa).map { rs in
            rs.compactMap { r in
                if case .aaaa(let b) = r.data {
                    return Self.ipv6Text(b)
                }
                return nil
            }
        }
    }

    static func ipv6Text(_ bytes: [UInt8]) -> String {
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count)) != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// MX records sorted by preference.
    public func mx(_ name: String) -> DNSResult<[(preference: UInt16, exchange: String)]> {
        records(name, type: DNSType.mx).map { rs in
            rs.compactMap { r -> (UInt16, String)? in
                if case .mx(let p, let e) = r.data { return (p, e) }
                return nil
            }.sorted { $0.0 < $1.0 }
        }
    }

    /// PTR names for an address (`in-addr.arpa` / `ip6.arpa`).
    public func ptr(_ address: IPAddress) -> DNSResult<[String]> {
        records(Self.reverseName(address), type: DNSType.ptr).map { rs in
            rs.compactMap { r in
                if case .ptr(let name) = r.data { return name }
                return nil
            }
        }
    }

    static func reverseName(_ address: IPAddress) -> String {
        if address.isIPv4 {
            return address.bytes[12...].reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa"
        }
        let hex = Array("0123456789abcdef")
        var nibbles: [String] = []
        for b in address.bytes.reversed() {
            nibbles.append(String(hex[Int(b & 15)]))
            nibbles.append(String(hex[Int(b >> 4)]))
        }
        return nibbles.joined(separator: ".") + ".ip6.arpa"
    }

    /// Lower-case, without a trailing dot.
    public static func normalize(_ name: String) -> String {
        var n = name.lowercased()
        while n.hasSuffix(".") { n.removeLast() }
        return n
    }
}
