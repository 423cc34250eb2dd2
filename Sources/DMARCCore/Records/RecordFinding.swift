/// How much a record finding matters.
public enum FindingSeverity: String, Sendable, Codable, Comparable, CaseIterable {
    /// The record is broken or unsafe: receivers ignore it or part of it, or it lets anyone send.
    case error
    /// The record works but is weak, obsolete or likely to surprise.
    case warning
    /// Worth knowing; nothing needs to change.
    case info

    /// Errors sort first, then warnings, then information.
    public static func < (lhs: FindingSeverity, rhs: FindingSeverity) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .error: 0
        case .warning: 1
        case .info: 2
        }
    }
}

/// One thing a record check found, in plain language, with what to do about it.
///
/// `code` is stable kebab-case (`dmarc-missing-p`, `spf-too-many-lookups`) so callers can filter,
/// count or translate findings; `message` and `fix` are for people and may change wording.
public struct RecordFinding: Sendable, Equatable, Codable, CustomStringConvertible {
    /// How much it matters.
    public var severity: FindingSeverity
    /// A stable kebab-case identifier, prefixed with the record kind (`dmarc-`, `spf-`, `dkim-`…).
    public var code: String
    /// What is wrong, in plain language.
    public var message: String
    /// What to do about it, in plain language.
    public var fix: String

    /// Makes a finding.
    public init(_ severity: FindingSeverity, _ code: String, _ message: String, fix: String) {
        self.severity = severity
        self.code = code
        self.message = message
        self.fix = fix
    }

    /// `severity code: message`, for logs and test output.
    public var description: String { "\(severity.rawValue) \(code): \(message)" }
}

extension Array where Element == RecordFinding {
    /// Whether any finding is an error.
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// The codes, in order, for quick matching.
    public var codes: [String] { map(\.code) }
}
