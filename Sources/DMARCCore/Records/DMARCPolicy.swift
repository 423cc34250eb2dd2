/// What a domain asks receivers to do with mail that fails DMARC (`p`, `sp`, `np`).
public enum DMARCPolicy: String, Sendable, Codable, CaseIterable, Comparable {
    /// Monitoring only: deliver as usual, send reports.
    case none
    /// Treat failing mail as suspicious, usually by putting it in the spam folder.
    case quarantine
    /// Refuse failing mail during the SMTP transaction.
    case reject

    /// Parses a policy value; ABNF literals are case-insensitive, so `Reject` is `reject`.
    public init?(value: String) {
        self.init(rawValue: value.lowercased())
    }

    /// Orders by strength: `none` < `quarantine` < `reject`.
    public static func < (lhs: DMARCPolicy, rhs: DMARCPolicy) -> Bool {
        lhs.strength < rhs.strength
    }

    private var strength: Int {
        switch self {
        case .none: 0
        case .quarantine: 1
        case .reject: 2
        }
    }

    /// What receivers do with failing mail under this policy, in a few words.
    public var effect: String {
        switch self {
        case .none: "receivers deliver failing mail as usual and only report it (monitoring)"
        case .quarantine: "receivers put failing mail in spam"
        case .reject: "receivers refuse failing mail"
        }
    }
}
