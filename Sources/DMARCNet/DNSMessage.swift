/// A resource record from a DNS answer section, with its data decoded for the types we use.
public struct DNSRecord: Sendable, Equatable {
    public enum Data: Sendable, Equatable {
        /// TXT: the character-strings of one record, in order (joined by `text`).
        case txt([[UInt8]])
        case a([UInt8])
        case aaaa([UInt8])
        case mx(preference: UInt16, exchange: String)
        case ptr(String)
        case cname(String)
        case other(type: UInt16)
    }

    public var name: String
    public var type: UInt16
    public var ttl: UInt32
    public var data: Data
}

/// DNS record types and response codes used here (RFC 1035, RFC 3596).
public enum DNSType {
    public static let a: UInt16 = 1
    public static let cname: UInt16 = 5
    public static let ptr: UInt16 = 12
    public static let mx: UInt16 = 15
    public static let txt: UInt16 = 16
    public static let aaaa: UInt16 = 28
}

/// A parsed DNS response: its response code and answer records. Hostile input never crashes
/// the parser: anything malformed ends parsing with an error.
struct DNSMessage {
    var rcode: UInt8
    var truncated: Bool
    var answers: [DNSRecord]

    struct Malformed: Error {}

    init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 12 else { throw Malformed() }
        rcode = bytes[3] & 0x0F
        truncated = bytes[2] & 0x02 != 0
        let qdcount = Int(bytes[4]) << 8 | Int(bytes[5])
        let ancount = Int(bytes[6]) << 8 | Int(bytes[7])
        var offset = 12
        for _ in 0..<qdcount {
            _ = try Self.readName(bytes, &offset)
            offset += 4
        }
        answers = []
        for _ in 0..<ancount {
            let name = try Self.readName(bytes, &offset)
            guard offset + 10 <= bytes.count else { throw Malformed() }
            let type = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let ttl =
                UInt32(bytes[offset + 4]) << 24 | UInt32(bytes[offset + 5]) << 16 | UInt32(bytes[offset + 6]) << 8
                | UInt32(bytes[offset + 7])
            let length = Int(bytes[offset + 8]) << 8 | Int(bytes[offset + 9])
            offset += 10
            guard offset + length <= bytes.count else { throw Malformed() }
            let end = offset + length
            let data: DNSRecord.Data
            switch type {
            case DNSType.txt:
                var strings: [[UInt8]] = []
                var i = offset
                while i < end {
                    let n = Int(bytes[i])
                    guard i + 1 + n <= end else { throw Malformed() }
                    strings.append(Array(bytes[(i + 1)..<(i + 1 + n)]))
                    i += 1 + n
                }
                data = .txt(strings)
            case DNSType.a where length == 4:
                data = .a(Array(bytes[offset..<end]))
            case DNSType.aaaa where length == 16:
                data = .aaaa(Array(bytes[offset..<end]))
            case DNSType.mx where length >= 3:
                var i = offset + 2
                data = .mx(
                    preference: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]),
                    exchange: try Self.readName(bytes, &i))
            case DNSType.ptr:
                var i = offset
                data = .ptr(try Self.readName(bytes, &i))
            case DNSType.cname:
                var i = offset
                data = .cname(try Self.readName(bytes, &i))
            default:
                data = .other(type: type)
            }
            answers.append(DNSRecord(name: name, type: type, ttl: ttl, data: data))
            offset = end
        }
    }

    /// Reads a possibly compressed domain name, lower-cased, without the trailing dot.
    static func readName(_ bytes: [UInt8], _ offset: inout Int) throws -> String {
        var labels: [String] = []
        var i = offset
        var jumped = false
        var jumps = 0
        while true {
            guard i < bytes.count else { throw Malformed() }
            let length = Int(bytes[i])
            if length == 0 {
                i += 1
                break
            }
            if length & 0xC0 == 0xC0 {
                guard i + 1 < bytes.count, jumps < 32 else { throw Malformed() }
                let pointer = (length & 0x3F) << 8 | Int(bytes[i + 1])
                if !jumped { offset = i + 2 }
                jumped = true
                jumps += 1
                i = pointer
                continue
            }
            guard length <= 63, i + 1 + length <= bytes.count else { throw Malformed() }
            let label = bytes[(i + 1)..<(i + 1 + length)].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            labels.append(String(decoding: label, as: UTF8.self))
            i += 1 + length
        }
        if !jumped { offset = i }
        return labels.joined(separator: ".")
    }
}
