/// Any JSON value, decoded without a schema so the reader can accept the shapes real senders
/// use (a string where the RFC has an array, null where it has a string, …).
public indirect enum AnyJSON: Decodable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([AnyJSON])
    case object([String: AnyJSON])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .integer(i)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([AnyJSON].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: AnyJSON].self))
        }
    }

    public subscript(_ key: String) -> AnyJSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? {
        switch self {
        case .string(let s): return s
        case .integer(let i): return String(i)
        default: return nil
        }
    }

    /// A string or an array of strings, as an array (`mx-host`, `policy-string`).
    public var strings: [String] {
        switch self {
        case .string(let s): return [s]
        case .array(let a): return a.compactMap(\.string)
        default: return []
        }
    }

    /// A session count: a non-negative integer no larger than a trillion (larger or negative
    /// values are hostile and would break the sums), else `nil`.
    public var sessionCount: Int64? {
        let value: Int64?
        switch self {
        case .integer(let i): value = i
        case .number(let d) where d >= 0 && d < 9e15: value = Int64(d)
        case .string(let s): value = Int64(s.trimmedASCII)
        default: value = nil
        }
        guard let value, value >= 0, value <= 1_000_000_000_000 else { return nil }
        return value
    }
}
