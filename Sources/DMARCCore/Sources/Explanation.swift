/// A sentence of evidence or advice: a stable code and its arguments, for a UI to translate
/// (the web catalogue has the code as a key), and the English text, for the command line and
/// the JSON output.
public struct Explanation: Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var arguments: [String]
    /// The English sentence.
    public var description: String

    public init(_ code: String, _ arguments: [String] = [], _ english: String) {
        self.code = code
        self.arguments = arguments
        description = english
    }
}
