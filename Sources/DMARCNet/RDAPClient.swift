internal import CCurl
internal import CShims
import DMARCCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Who holds an IP network, from RDAP (RFC 9082/9083, the successor of WHOIS).
public struct NetworkOwner: Sendable, Equatable {
    /// The registrant's name (vCard `fn`), else the network's name.
    public var owner: String?
    public var handle: String?
    public var networkName: String?
    public var country: String?
    public var range: String?
}

/// Asks an RDAP service about an address: `GET <base>/ip/<address>`, following the redirects
/// of a bootstrap service such as rdap.org to the registry that holds it.
public struct RDAPClient: Sendable {
    public let baseURL: String
    public let timeout: Int

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// `baseURL` must be HTTPS; plain HTTP is accepted only to a loopback address (tests).
    public init(baseURL: String = "https://rdap.org", timeout: Int = 15) throws {
        let lower = baseURL.lowercased()
        // Plain HTTP only to this machine: the host must be exactly a loopback address.
        var loopback = false
        if lower.hasPrefix("http://") {
            let rest = lower.dropFirst(7)
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            let host =
                authority.hasPrefix("[")
                ? String(authority.prefix { $0 != "]" }) + "]" : String(authority.prefix { $0 != ":" })
            loopback = !authority.contains("@") && (host == "127.0.0.1" || host == "[::1]" || host == "localhost")
        }
        guard lower.hasPrefix("https://") || loopback else {
            throw Failure(description: "the RDAP service must be an https:// URL")
        }
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
    }

    public func lookup(_ address: IPAddress) throws -> NetworkOwner {
        guard let handle = curl_easy_init() else { throw Failure(description: "libcurl could not start") }
        defer { curl_easy_cleanup(handle) }
        let sink = TransferSink()
        sink.limit = 1 << 20
        cshim_curl_setopt_string(handle, CURLOPT_URL, "\(baseURL)/ip/\(address.description)")
        cshim_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        cshim_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, 10)
        cshim_curl_setopt_long(handle, CURLOPT_TIMEOUT, timeout)
        cshim_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1)
        cshim_curl_setopt_long(handle, CURLOPT_MAXREDIRS, 5)
        // Redirects may only go to HTTPS (or stay on the test's loopback HTTP).
        cshim_curl_setopt_string(
            handle, CURLOPT_REDIR_PROTOCOLS_STR, baseURL.lowercased().hasPrefix("http://") ? "http,https" : "https")
        cshim_curl_setopt_string(handle, CURLOPT_USERAGENT, "DMARCWatch (RDAP lookup)")
        let headers = curl_slist_append(nil, "Accept: application/rdap+json, application/json")
        defer { curl_slist_free_all(headers) }
        cshim_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers))
        cshim_curl_setopt_write_function(handle, transferWrite)
        let code = withExtendedLifetime(sink) { () -> CURLcode in
            cshim_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
            return curl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            throw Failure(
                description: sink.overflow
                    ? "the RDAP answer is larger than 1 MiB" : "RDAP: \(String(cString: curl_easy_strerror(code)))")
        }
        var status = 0
        _ = withUnsafeMutablePointer(to: &status) { cshim_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, $0) }
        guard status == 200 else { throw Failure(description: "RDAP answered HTTP \(status) for \(address)") }
        return try Self.parse(sink.bytes)
    }

    /// Reads the parts of an RDAP IP network object a monitor shows; anything else is ignored.
    public static func parse(_ bytes: [UInt8]) throws -> NetworkOwner {
        let object: RDAPObject
        do {
            object = try JSONDecoder().decode(RDAPObject.self, from: Data(bytes))
        } catch {
            throw Failure(description: "the RDAP answer is not an RDAP JSON object")
        }
        var out = NetworkOwner(
            owner: nil, handle: object.handle, networkName: object.name, country: object.country,
            range: object.startAddress.map { "\($0) – \(object.endAddress ?? "")" })
        // The registrant, else any entity with a name (some registries use "administrative").
        let entities = object.entities ?? []
        let registrant = entities.first { $0.roles?.contains("registrant") == true } ?? entities.first
        out.owner = registrant?.formattedName ?? object.name
        return out
    }
}

struct RDAPObject: Decodable {
    var handle: String?
    var name: String?
    var country: String?
    var startAddress: String?
    var endAddress: String?
    var entities: [RDAPEntity]?
}

struct RDAPEntity: Decodable {
    var roles: [String]?
    var vcardArray: AnyJSON?

    /// The vCard's `fn`: `["vcard", [["fn", {}, "text", "Name"], …]]` (RFC 7095 jCard).
    var formattedName: String? {
        guard case .array(let top)? = vcardArray, top.count >= 2, case .array(let properties) = top[1] else {
            return nil
        }
        for case .array(let p) in properties where p.count >= 4 {
            if case .string("fn") = p[0], case .string(let name) = p[3], !name.isEmpty { return name }
        }
        return nil
    }
}
