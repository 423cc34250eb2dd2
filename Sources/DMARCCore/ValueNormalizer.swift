/// The fields whose values SPEC §6.3 normalises.
public enum NormalizedField: String, Sendable {
    case policy = "policy"
    case disposition = "disposition"
    case evaluatedResult = "policy_evaluated result"
    case dkimResult = "DKIM result"
    case spfResult = "SPF result"
    case spfScope = "SPF scope"
    case overrideType = "override type"
    case alignment = "alignment mode"
    case testing = "testing"
    case discoveryMethod = "discovery_method"
    case psd = "psd"
}

/// The outcome of normalising one reported value.
public struct NormalizedValue: Sendable, Equatable {
    /// The value to store; `nil` when the report left it absent or empty.
    public var value: String?
    /// Set when the value was mapped from a non-standard spelling or is unknown.
    public var warning: ParseWarning?
}

/// The normalisation table of SPEC §6.3: values are trimmed and lower-cased, known non-standard
/// spellings are mapped with a warning, and unknown values are kept raw with a warning.
public enum ValueNormalizer {
    static let canonical: [NormalizedField: Set<String>] = [
        .policy: ["none", "quarantine", "reject"],
        .disposition: ["none", "pass", "quarantine", "reject"],
        .evaluatedResult: ["pass", "fail"],
        .dkimResult: ["none", "pass", "fail", "policy", "neutral", "temperror", "permerror"],
        .spfResult: ["none", "neutral", "pass", "fail", "softfail", "policy", "temperror", "permerror"],
        .spfScope: ["mfrom", "helo"],
        .overrideType: [
            "local_policy", "mailing_list", "other", "policy_test_mode", "trusted_forwarder", "forwarded",
            "sampled_out",
        ],
        .alignment: ["r", "s"],
        .testing: ["n", "y"],
        .discoveryMethod: ["psl", "treewalk"],
        .psd: ["y", "n", "u"],
    ]

    static let mapped: [NormalizedField: [String: String]] = [
        .dkimResult: [
            "unknown": "temperror", "tempfail": "temperror", "error": "permerror", "permfail": "permerror",
            "hardfail": "fail", "softfail": "fail",
        ],
        .spfResult: [
            "hardfail": "fail", "unknown": "temperror", "tempfail": "temperror", "error": "permerror",
            "permfail": "permerror",
        ],
        .disposition: [:],
    ]

    /// Values an empty element stands for, where the table gives one.
    static let emptyMeans: [NormalizedField: String] = [.overrideType: "other", .alignment: "r"]

    /// Normalises `raw` for `field`. `nil` input (element absent) stays `nil` without a warning.
    public static func normalize(_ raw: String?, as field: NormalizedField) -> NormalizedValue {
        guard let raw else { return NormalizedValue(value: nil, warning: nil) }
        let trimmed = raw.trimmedASCII
        if trimmed.isEmpty { return NormalizedValue(value: emptyMeans[field], warning: nil) }
        let lower = trimmed.lowercased()
        if canonical[field]?.contains(lower) == true {
            return NormalizedValue(value: lower, warning: nil)
        }
        if let target = mapped[field]?[lower] {
            return NormalizedValue(
                value: target,
                warning: ParseWarning(code: "value-mapped", message: "\(field.rawValue) \"\(trimmed)\" read as \"\(target)\"")
            )
        }
        return NormalizedValue(
            value: trimmed,
            warning: ParseWarning(code: "unknown-value", message: "unknown \(field.rawValue) \"\(trimmed)\" kept as reported")
        )
    }
}
