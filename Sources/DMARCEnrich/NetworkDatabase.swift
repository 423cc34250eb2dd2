internal import CMaxMindDB
import DMARCCore

#if canImport(Glibc)
    import Glibc
#endif

/// Country and autonomous system of addresses, from MMDB files the administrator configures,
/// read with libmaxminddb. Understands the three free layouts:
/// - IPinfo Lite: `country_code`, `asn` ("AS15169"), `as_name` in one flat record;
/// - GeoLite2-Country and DB-IP Country Lite: `country.iso_code`;
/// - GeoLite2-ASN and DB-IP ASN Lite: `autonomous_system_number`, `autonomous_system_organization`.
/// Several files (a country one and an ASN one) are read together; the first answer wins.
public final class NetworkDatabase: @unchecked Sendable {
    // @unchecked Sendable: the MMDB handles are opened in init and only read afterwards;
    // libmaxminddb lookups on an opened database are thread-safe.
    private var databases: [UnsafeMutablePointer<MMDB_s>] = []
    public let paths: [String]
    /// `database_type` of each file, as its metadata says.
    public private(set) var types: [String] = []

    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    public struct Facts: Sendable, Equatable {
        public var country: String?
        public var asn: Int?
        public var asOrganization: String?
    }

    public init(paths: [String]) throws {
        self.paths = paths
        for path in paths {
            let db = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
            let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), db)
            guard status == MMDB_SUCCESS else {
                db.deallocate()
                close()
                throw OpenError(description: "\(path): \(String(cString: MMDB_strerror(status)))")
            }
            databases.append(db)
            types.append(db.pointee.metadata.database_type.map { String(cString: $0) } ?? "")
        }
    }

    deinit { close() }

    private func close() {
        for db in databases {
            MMDB_close(db)
            db.deallocate()
        }
        databases = []
    }

    /// What the files say about `ip` (nil fields where none knows).
    public func lookup(_ ip: String) -> Facts {
        var facts = Facts()
        for db in databases {
            var gaiError: Int32 = 0
            var mmdbError: Int32 = 0
            var result = MMDB_lookup_string(db, ip, &gaiError, &mmdbError)
            guard gaiError == 0, mmdbError == MMDB_SUCCESS, result.found_entry else { continue }
            if facts.country == nil {
                facts.country =
                    string(&result.entry, ["country_code"]) ?? string(&result.entry, ["country", "iso_code"])
            }
            if facts.asn == nil {
                if let n = uint32(&result.entry, ["autonomous_system_number"]) {
                    facts.asn = Int(n)
                } else if let text = string(&result.entry, ["asn"]) {
                    // IPinfo writes "AS15169".
                    facts.asn = Int(text.hasPrefix("AS") ? String(text.dropFirst(2)) : text)
                }
            }
            if facts.asOrganization == nil {
                facts.asOrganization =
                    string(&result.entry, ["autonomous_system_organization"]) ?? string(&result.entry, ["as_name"])
            }
        }
        return facts
    }

    private func value(_ entry: inout MMDB_entry_s, _ path: [String]) -> MMDB_entry_data_s? {
        var data = MMDB_entry_data_s()
        // MMDB_aget_value takes a NULL-terminated array of C strings.
        let cStrings = path.map { strdup($0) }
        defer { for c in cStrings { free(c) } }
        var pointers: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) } + [nil]
        let status = pointers.withUnsafeMutableBufferPointer { MMDB_aget_value(&entry, &data, $0.baseAddress) }
        guard status == MMDB_SUCCESS, data.has_data else { return nil }
        return data
    }

    private func string(_ entry: inout MMDB_entry_s, _ path: [String]) -> String? {
        guard let data = value(&entry, path), data.type == UInt32(MMDB_DATA_TYPE_UTF8_STRING),
            let chars = data.utf8_string
        else { return nil }
        // Not NUL-terminated: the length is data_size.
        let bytes = UnsafeRawPointer(chars).assumingMemoryBound(to: UInt8.self)
        let text = String(decoding: UnsafeBufferPointer(start: bytes, count: Int(data.data_size)), as: UTF8.self)
        return text.isEmpty ? nil : text
    }

    private func uint32(_ entry: inout MMDB_entry_s, _ path: [String]) -> UInt32? {
        guard let data = value(&entry, path), data.type == UInt32(MMDB_DATA_TYPE_UINT32) else { return nil }
        return data.uint32
    }
}
