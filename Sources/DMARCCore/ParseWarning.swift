/// Something the parser repaired, mapped or skipped. Kept on the report so nothing is changed
/// silently.
public struct ParseWarning: Sendable, Equatable, Codable, CustomStringConvertible {
    /// A stable code, e.g. `value-mapped`, `unknown-value`, `record-skipped`, `xml-repaired`.
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
