/// A `name=value` tag kept as written, for tags a grammar does not know (RFC 7489 §6.3 and
/// RFC 6376 §3.2: unknown tags are ignored, so they are kept only to show and to render back).
public struct RecordTag: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The tag name as written.
    public var name: String
    /// The value with surrounding white space removed.
    public var value: String

    /// Makes a tag.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// `name=value`.
    public var description: String { "\(name)=\(value)" }
}
