import Foundation

/// Writes MaxMind DB (MMDB v2) files for tests: IPv6 trees (IPv4 mapped at ::/96 as MaxMind does, so IPv4 lookups
/// work), 28-bit records by default.
///
/// Written from the public "MaxMind DB File Format Specification" 2.0: a binary search tree of `node_count` nodes
/// (two records each; a record below `node_count` points at a node, `node_count` itself means "no data", and a
/// larger value points into the data section), then 16 zero bytes, then the data section, then
/// "\xAB\xCD\xEFMaxMind.com" and the metadata map.
///
/// IPv4 network `a.b.c.d/n` is stored at `::a.b.c.d/(96+n)`, where libmaxminddb starts IPv4 lookups in an IPv6
/// tree. Like MaxMind's databases, `::ffff:0:0/96` (IPv4-mapped) and `2002::/16` (6to4) are aliased to that IPv4
/// subtree, so `::ffff:192.0.2.1` finds what `192.0.2.1` finds; networks inserted inside those two ranges are
/// shadowed by the aliases (set `aliasesIPv4Ranges` to false to store them instead).
///
/// Inserts may nest in any order: the most specific network wins for the addresses inside it, and of two inserts
/// of the same network the later one wins. Identical records are stored once in the data section.
public struct MMDBWriter: Sendable {
    /// A value of the data section. Each case is the MMDB type of the same name, which readers report back
    /// (libmaxminddb distinguishes uint16, uint32 and uint64, so pick the one the real database uses).
    public indirect enum Value: Sendable {
        case string(String)
        case uint16(UInt16)
        case uint32(UInt32)
        case uint64(UInt64)
        case int32(Int32)
        case double(Double)
        case float(Float)
        case bool(Bool)
        case bytes([UInt8])
        /// Keys in the order given; MMDB maps are ordered on disk.
        case map([(String, Value)])
        case array([Value])
    }

    /// The metadata `database_type`, which readers use to tell database kinds apart.
    public var databaseType: String
    /// The metadata `description` (stored as `{"en": description}`).
    public var description: String
    /// The metadata `languages`: the locales that `names` maps in the records may carry.
    public var languages: [String] = ["en"]
    /// The metadata `build_epoch` (seconds since 1970). Defaults to now, so code that warns about stale
    /// databases sees a fresh one; set it to test that warning or to get byte-identical output.
    public var buildEpoch = UInt64(Date().timeIntervalSince1970)
    /// 24, 28 or 32 bits per search-tree record. The free databases use 24 to 32; 28 is the default.
    public var recordSize = 28
    /// Whether `::ffff:0:0/96` and `2002::/16` point at the IPv4 subtree, as in MaxMind's databases.
    public var aliasesIPv4Ranges = true

    private var networks: [(address: [UInt8], prefixLength: Int, value: Value)] = []

    public init(databaseType: String, description: String = "DMARCWatch test database") {
        self.databaseType = databaseType
        self.description = description
    }

    /// Adds a network ("192.0.2.0/24", "2001:db8::/32"; a bare address means /32 or /128) with its record.
    /// Later inserts may be more specific than earlier ones (nested networks: the more specific wins for
    /// addresses inside it). Host bits past the prefix are ignored. A malformed network stops the test.
    public mutating func insert(_ network: String, _ value: Value) {
        guard let (address, prefixLength) = Self.parseNetwork(network) else {
            preconditionFailure("MMDBWriter: not a network: \(network)")
        }
        networks.append((address, prefixLength, value))
    }

    /// The whole database file.
    public func data() -> [UInt8] {
        precondition([24, 28, 32].contains(recordSize), "MMDBWriter: record size must be 24, 28 or 32")

        // Data section: each distinct record once; the tree points at its offset.
        var dataSection: [UInt8] = []
        var offsets: [[UInt8]: Int] = [:]
        var slots: [Slot] = []
        for network in networks {
            let encoded = Self.encode(network.value)
            let offset: Int
            if let known = offsets[encoded] {
                offset = known
            } else {
                offset = dataSection.count
                offsets[encoded] = offset
                dataSection += encoded
            }
            slots.append(.data(offset))
        }

        // Shorter prefixes first, so a more specific network always splits a broader one and never the reverse;
        // the sort is stable, so among equal networks the later insert is written last and wins.
        var tree = Tree()
        let order = networks.indices.sorted {
            (networks[$0].prefixLength, $0) < (networks[$1].prefixLength, $1)
        }
        for index in order {
            tree.set(networks[index].address, networks[index].prefixLength, to: slots[index])
        }
        if aliasesIPv4Ranges {
            let ipv4Root = tree.slot(at: [UInt8](repeating: 0, count: 16), length: 96)
            if ipv4Root != .empty {
                let mapped: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]
                let sixToFour: [UInt8] = [0x20, 0x02] + [UInt8](repeating: 0, count: 14)
                tree.set(mapped, 96, to: ipv4Root)
                tree.set(sixToFour, 16, to: ipv4Root)
            }
        }

        let nodeCount = tree.nodes.count
        let largest = nodeCount + 16 + dataSection.count
        precondition(largest < 1 << recordSize, "MMDBWriter: database too large for \(recordSize)-bit records")
        func record(_ slot: Slot) -> UInt32 {
            switch slot {
            case .node(let node): return UInt32(node)
            case .empty: return UInt32(nodeCount)
            // The spec's data pointer is relative to the end of the tree, past the 16-byte separator.
            case .data(let offset): return UInt32(nodeCount + 16 + offset)
            }
        }

        var file: [UInt8] = []
        file.reserveCapacity(nodeCount * recordSize / 4 + 16 + dataSection.count + 512)
        for node in tree.nodes {
            let left = record(node.left)
            let right = record(node.right)
            switch recordSize {
            case 24:
                file += Self.bigEndian(UInt64(left), bytes: 3) + Self.bigEndian(UInt64(right), bytes: 3)
            case 28:
                // The middle byte holds the top four bits of the left record, then those of the right one.
                file += Self.bigEndian(UInt64(left & 0xff_ffff), bytes: 3)
                file.append(UInt8((left >> 24) << 4 | (right >> 24)))
                file += Self.bigEndian(UInt64(right & 0xff_ffff), bytes: 3)
            default:
                file += Self.bigEndian(UInt64(left), bytes: 4) + Self.bigEndian(UInt64(right), bytes: 4)
            }
        }
        file += [UInt8](repeating: 0, count: 16)
        file += dataSection
        file += [0xab, 0xcd, 0xef] + Array("MaxMind.com".utf8)
        let metadata: Value = .map([
            ("binary_format_major_version", .uint16(2)),
            ("binary_format_minor_version", .uint16(0)),
            ("build_epoch", .uint64(buildEpoch)),
            ("database_type", .string(databaseType)),
            ("description", .map([("en", .string(description))])),
            ("ip_version", .uint16(6)),
            ("languages", .array(languages.map { .string($0) })),
            ("node_count", .uint32(UInt32(nodeCount))),
            ("record_size", .uint16(UInt16(recordSize))),
        ])
        file += Self.encode(metadata)
        return file
    }

    /// Writes the database file to `path`, replacing any file there.
    public func write(to path: String) throws {
        try Data(data()).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    // MARK: Search tree

    private enum Slot: Equatable {
        case empty
        case node(Int)
        case data(Int)
    }

    private struct Tree {
        /// Node 0 is the root, as readers expect; the others are numbered in creation order.
        var nodes: [(left: Slot, right: Slot)] = [(.empty, .empty)]

        static func bit(_ address: [UInt8], _ depth: Int) -> Bool {
            address[depth / 8] & (0x80 >> UInt8(depth % 8)) != 0
        }

        func child(_ node: Int, _ right: Bool) -> Slot { right ? nodes[node].right : nodes[node].left }

        mutating func setChild(_ node: Int, _ right: Bool, _ slot: Slot) {
            if right { nodes[node].right = slot } else { nodes[node].left = slot }
        }

        /// Makes the first `length` bits of `address` lead to `slot`.
        mutating func set(_ address: [UInt8], _ length: Int, to slot: Slot) {
            guard length > 0 else {
                nodes[0] = (slot, slot)
                return
            }
            var node = 0
            for depth in 0..<(length - 1) {
                let right = Self.bit(address, depth)
                switch child(node, right) {
                case .node(let next):
                    node = next
                case let leaf:
                    // Going below a broader network (or an empty range): both halves keep its record, and
                    // the half on our path is split further.
                    nodes.append((leaf, leaf))
                    setChild(node, right, .node(nodes.count - 1))
                    node = nodes.count - 1
                }
            }
            setChild(node, Self.bit(address, length - 1), slot)
        }

        /// What the first `length` bits of `address` lead to: a node, or the record of a broader network.
        func slot(at address: [UInt8], length: Int) -> Slot {
            var node = 0
            for depth in 0..<length {
                let slot = child(node, Self.bit(address, depth))
                guard depth < length - 1, case .node(let next) = slot else { return slot }
                node = next
            }
            return .node(node)
        }
    }

    private static func parseNetwork(_ network: String) -> (address: [UInt8], prefixLength: Int)? {
        let parts = network.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let host = parts.first else { return nil }
        let isIPv6 = host.contains(":")
        var address = [UInt8](repeating: 0, count: 16)
        let parsed = address.withUnsafeMutableBytes { buffer in
            // An IPv4 address goes in the last four bytes: that is ::a.b.c.d, where IPv4 lookups start.
            isIPv6
                ? inet_pton(AF_INET6, String(host), buffer.baseAddress!)
                : inet_pton(AF_INET, String(host), buffer.baseAddress! + 12)
        }
        guard parsed == 1 else { return nil }
        let maximum = isIPv6 ? 128 : 32
        var length = maximum
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...maximum).contains(given) else { return nil }
            length = given
        }
        return (address, isIPv6 ? length : 96 + length)
    }

    // MARK: Data section encoding

    private static func bigEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// Unsigned integers are stored in as few bytes as hold them (zero in none).
    private static func minimalBigEndian(_ value: UInt64) -> [UInt8] {
        let bytes = (64 - value.leadingZeroBitCount + 7) / 8
        return bigEndian(value, bytes: bytes)
    }

    /// The control byte: type in the top three bits (7 or lower; types 8 and up are "extended": 0 there, and
    /// type - 7 in the next byte), size in the low five bits, with 29/30/31 meaning 1/2/3 more size bytes.
    private static func control(type: Int, size: Int) -> [UInt8] {
        precondition(size < 65_821 + 1 << 24, "MMDBWriter: field too large")
        let (sizeBits, extra): (Int, [UInt8]) =
            switch size {
            case ..<29: (size, [])
            case ..<285: (29, bigEndian(UInt64(size - 29), bytes: 1))
            case ..<65_821: (30, bigEndian(UInt64(size - 285), bytes: 2))
            default: (31, bigEndian(UInt64(size - 65_821), bytes: 3))
            }
        if type <= 7 {
            return [UInt8(type << 5 | sizeBits)] + extra
        }
        return [UInt8(sizeBits), UInt8(type - 7)] + extra
    }

    private static func encode(_ value: Value) -> [UInt8] {
        switch value {
        case .string(let string):
            let bytes = Array(string.utf8)
            return control(type: 2, size: bytes.count) + bytes
        case .double(let double):
            return control(type: 3, size: 8) + bigEndian(double.bitPattern, bytes: 8)
        case .bytes(let bytes):
            return control(type: 4, size: bytes.count) + bytes
        case .uint16(let number):
            let bytes = minimalBigEndian(UInt64(number))
            return control(type: 5, size: bytes.count) + bytes
        case .uint32(let number):
            let bytes = minimalBigEndian(UInt64(number))
            return control(type: 6, size: bytes.count) + bytes
        case .map(let pairs):
            var out = control(type: 7, size: pairs.count)
            for (key, value) in pairs {
                out += encode(.string(key)) + encode(value)
            }
            return out
        case .int32(let number):
            // Readers sign-extend from 32 bits only, so a negative number needs all four bytes.
            let bytes =
                number < 0
                ? bigEndian(UInt64(UInt32(bitPattern: number)), bytes: 4) : minimalBigEndian(UInt64(number))
            return control(type: 8, size: bytes.count) + bytes
        case .uint64(let number):
            let bytes = minimalBigEndian(number)
            return control(type: 9, size: bytes.count) + bytes
        case .array(let values):
            return values.reduce(control(type: 11, size: values.count)) { $0 + encode($1) }
        case .bool(let flag):
            // A boolean has no payload: the size field is the value.
            return control(type: 14, size: flag ? 1 : 0)
        case .float(let float):
            return control(type: 15, size: 4) + bigEndian(UInt64(float.bitPattern), bytes: 4)
        }
    }
}

/// The record layouts of the free databases, for tests.
///
/// Confirmed from public material (found with the search tool while writing this):
/// - IPinfo Lite (`ipinfo_lite.mmdb`): IPinfo's schema table (ipinfo.io/developers/ipinfo-lite-database, quoted
///   in IPinfo's requests such as github.com/PascalMinder/geoblock/issues/93, and their API's LiteResponse
///   schema) has only string fields: `asn` ("AS174"), `as_name`, `as_domain`, `country_code`, `country`,
///   `continent_code`, `continent`; `network` is the range, not a stored field. The metadata `database_type` is
///   "ipinfo bundle_location_lite.mmdb" (the error text in github.com/oschwald/geoip2-golang/issues/137, and
///   readers that key on it, e.g. github.com/fujiapple852/trippy/pull/1804). IPinfo's own file uses 32-bit
///   records; readers do not care. Its description and languages are not confirmed: IPinfo's mmdbctl writes
///   the type as the English description and languages ["en"] (github.com/ipinfo/mmdbctl/issues/23), so we do.
/// - DB-IP Lite: `database_type` "DBIP-Country-Lite" and "DBIP-ASN-Lite (compat=GeoLite2-ASN)" (MaxMind's
///   geoip2-golang reader type switch; github.com/IncSW/geoip2-rs/pull/1 notes the ASN file names itself so).
///   Country layout from db-ip.com/db/format/ip-to-country-lite/mmdb.html: `continent` {code, geoname_id
///   uint32, names}, `country` {geoname_id uint32, is_in_european_union boolean, iso_code, names}, and no
///   `registered_country`; its sample names carry de, en, es, fa, fr, ja, ko, pt-BR, ru, zh-CN. The ASN
///   layout is GeoLite2-ASN's (hence "compat="). Descriptions are not confirmed; ours are made up.
/// - GeoLite2: layouts from MaxMind's own test data (github.com/maxmind/MaxMind-DB, source-data/
///   GeoLite2-Country-Test.json and GeoLite2-ASN-Test.json): Country has `continent` {code, geoname_id, names},
///   `country` and `registered_country` {geoname_id, is_in_european_union (only present when true), iso_code,
///   names}; ASN has `autonomous_system_number` (uint32) and `autonomous_system_organization` (string). Metadata
///   of GeoLite2-City seen in github.com/ipinfo/mmdbctl/issues/23: languages de, en, es, fr, ja, pt-BR, ru,
///   zh-CN, description "GeoLite2City database"; the Country and ASN descriptions follow that pattern, and the
///   ASN databases' languages ["en"], unconfirmed. Readers key on `database_type`, not on these.
///
/// The records carry only English `names`. Country and continent names and geoname IDs come from a small table
/// below; other country codes get the code as their name and no continent or geoname ID.
extension MMDBWriter {
    /// IPinfo Lite: one flat record per network with country and AS. `as_domain` is derived from the AS name
    /// ("Google LLC" → "google.com") since tests rarely care. An `asn` of 0 leaves out the three AS fields and
    /// an empty `countryCode` the four country fields, for networks the database knows only half of.
    public static func ipinfoLite(
        _ entries: [(network: String, asn: UInt32, asName: String, countryCode: String)]
    ) -> MMDBWriter {
        var writer = MMDBWriter(
            databaseType: "ipinfo bundle_location_lite.mmdb", description: "ipinfo bundle_location_lite.mmdb")
        for entry in entries {
            var fields: [(String, Value)] = []
            if !entry.countryCode.isEmpty {
                let country = countryInfo(entry.countryCode)
                fields += [("country", .string(country.name)), ("country_code", .string(entry.countryCode))]
                if let continent = country.continent, let info = continents[continent] {
                    fields += [("continent", .string(info.name)), ("continent_code", .string(continent))]
                }
            }
            if entry.asn != 0 {
                let word = entry.asName.split(separator: " ").first ?? ""
                let domain = word.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" }
                fields += [
                    ("asn", .string("AS\(entry.asn)")), ("as_name", .string(entry.asName)),
                    ("as_domain", .string(domain.isEmpty ? "" : domain + ".com")),
                ]
            }
            writer.insert(entry.network, .map(fields))
        }
        return writer
    }

    /// DB-IP IP to Country Lite ("DBIP-Country-Lite"): `continent` and `country` maps, no `registered_country`.
    public static func dbipCountryLite(_ entries: [(network: String, countryCode: String)]) -> MMDBWriter {
        var writer = MMDBWriter(databaseType: "DBIP-Country-Lite", description: "IP to Country Lite by DB-IP")
        writer.languages = ["de", "en", "es", "fa", "fr", "ja", "ko", "pt-BR", "ru", "zh-CN"]
        for entry in entries {
            // DB-IP states EU membership for every country, false included.
            let country = geoIP2Country(entry.countryCode, euFlagAlways: true)
            writer.insert(entry.network, .map(geoIP2Continent(entry.countryCode) + [("country", country)]))
        }
        return writer
    }

    /// DB-IP IP to ASN Lite ("DBIP-ASN-Lite (compat=GeoLite2-ASN)"), in the GeoLite2-ASN layout.
    public static func dbipASNLite(_ entries: [(network: String, asn: UInt32, organization: String)]) -> MMDBWriter {
        var writer = MMDBWriter(
            databaseType: "DBIP-ASN-Lite (compat=GeoLite2-ASN)", description: "IP to ASN Lite by DB-IP")
        for entry in entries {
            writer.insert(entry.network, asnRecord(entry.asn, entry.organization))
        }
        return writer
    }

    /// GeoLite2-Country: `continent`, `country` and `registered_country` (here the same as `country`).
    public static func geoLite2Country(_ entries: [(network: String, countryCode: String)]) -> MMDBWriter {
        var writer = MMDBWriter(databaseType: "GeoLite2-Country", description: "GeoLite2Country database")
        writer.languages = ["de", "en", "es", "fr", "ja", "pt-BR", "ru", "zh-CN"]
        for entry in entries {
            // MaxMind writes is_in_european_union only when it is true.
            let country = geoIP2Country(entry.countryCode, euFlagAlways: false)
            let fields = geoIP2Continent(entry.countryCode) + [("country", country), ("registered_country", country)]
            writer.insert(entry.network, .map(fields))
        }
        return writer
    }

    /// GeoLite2-ASN: `autonomous_system_number` (uint32) and `autonomous_system_organization`.
    public static func geoLite2ASN(_ entries: [(network: String, asn: UInt32, organization: String)]) -> MMDBWriter {
        var writer = MMDBWriter(databaseType: "GeoLite2-ASN", description: "GeoLite2ASN database")
        for entry in entries {
            writer.insert(entry.network, asnRecord(entry.asn, entry.organization))
        }
        return writer
    }

    private static func asnRecord(_ asn: UInt32, _ organization: String) -> Value {
        .map([
            ("autonomous_system_number", .uint32(asn)),
            ("autonomous_system_organization", .string(organization)),
        ])
    }

    private static func geoIP2Continent(_ countryCode: String) -> [(String, Value)] {
        guard let code = countryInfo(countryCode).continent, let continent = continents[code] else { return [] }
        return [
            (
                "continent",
                .map([
                    ("code", .string(code)), ("geoname_id", .uint32(continent.geonameID)),
                    ("names", .map([("en", .string(continent.name))])),
                ])
            )
        ]
    }

    private static func geoIP2Country(_ countryCode: String, euFlagAlways: Bool) -> Value {
        let country = countryInfo(countryCode)
        var fields: [(String, Value)] = []
        if let geonameID = country.geonameID {
            fields.append(("geoname_id", .uint32(geonameID)))
        }
        if country.inEU || euFlagAlways {
            fields.append(("is_in_european_union", .bool(country.inEU)))
        }
        fields += [("iso_code", .string(countryCode)), ("names", .map([("en", .string(country.name))]))]
        return .map(fields)
    }

    private struct CountryInfo {
        var name: String
        var continent: String?
        var geonameID: UInt32?
        var inEU = false
    }

    private static func countryInfo(_ code: String) -> CountryInfo {
        countries[code] ?? CountryInfo(name: code)
    }

    /// Continent codes as in GeoNames (which MaxMind and DB-IP use), with their GeoNames IDs.
    private static let continents: [String: (name: String, geonameID: UInt32)] = [
        "AF": ("Africa", 6_255_146), "AN": ("Antarctica", 6_255_152), "AS": ("Asia", 6_255_147),
        "EU": ("Europe", 6_255_148), "NA": ("North America", 6_255_149), "OC": ("Oceania", 6_255_151),
        "SA": ("South America", 6_255_150),
    ]

    /// A few countries tests use. The geoname IDs of CN, DE, FR, GB, SE and US (and of the EU, NA and AS
    /// continents) are those in MaxMind's test data; the others are GeoNames IDs not checked here, so tests
    /// should not assert on them.
    private static let countries: [String: CountryInfo] = [
        "AU": CountryInfo(name: "Australia", continent: "OC", geonameID: 2_077_456),
        "BR": CountryInfo(name: "Brazil", continent: "SA", geonameID: 3_469_034),
        "CA": CountryInfo(name: "Canada", continent: "NA", geonameID: 6_251_999),
        "CN": CountryInfo(name: "China", continent: "AS", geonameID: 1_814_991),
        "DE": CountryInfo(name: "Germany", continent: "EU", geonameID: 2_921_044, inEU: true),
        "FR": CountryInfo(name: "France", continent: "EU", geonameID: 3_017_382, inEU: true),
        "GB": CountryInfo(name: "United Kingdom", continent: "EU", geonameID: 2_635_167),
        "IN": CountryInfo(name: "India", continent: "AS", geonameID: 1_269_750),
        "JP": CountryInfo(name: "Japan", continent: "AS", geonameID: 1_861_060),
        "NL": CountryInfo(name: "Netherlands", continent: "EU", geonameID: 2_750_405, inEU: true),
        "RU": CountryInfo(name: "Russia", continent: "EU", geonameID: 2_017_370),
        "SE": CountryInfo(name: "Sweden", continent: "EU", geonameID: 2_661_886, inEU: true),
        "US": CountryInfo(name: "United States", continent: "NA", geonameID: 6_252_001),
    ]
}
