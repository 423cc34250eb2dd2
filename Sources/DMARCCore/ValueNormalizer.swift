/// The fields whose values SPEC §6.3 normalises.
public enum NormalizedField: String, Sendable, CaseIterable {
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

extension NormalizedField {
    /// The position in `allCases`.
    var index: Int {
        switch self {
        case .policy: 0
        case .disposition: 1
        case .evaluatedResult: 2
        case .dkimResult: 3
        case .spfResult: 4
        case .spfScope: 5
        case .overrideType: 6
        case .alignment: 7
        case .testing: 8
        case .discoveryMethod: 9
        case .psd: 10
        }
    }
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

    /// The canonical values of each field as UTF-8 bytes, for the parser's allocation-free path.
    /// Indexed by the field's position in `allCases`: a dictionary keyed by a raw-value enum
    /// would hash the raw string on every lookup.
    static let canonicalBytes: [[([UInt8], String)]] = NormalizedField.allCases.map { field in
        (canonical[field] ?? []).sorted().map { (Array($0.utf8), $0) }
    }

    /// The canonical value whose bytes equal `bytes` exactly (already trimmed, any case), without
    /// building a string; `nil` when the value needs the full `normalize`.
    public static func canonicalValue(_ bytes: ArraySlice<UInt8>, as field: NormalizedField) -> String? {
        for (candidate, value) in canonicalBytes[field.index] where candidate.count == bytes.count {
            var equal = true
            var i = bytes.startIndex
            for c in candidate {
                let b = bytes[i]
                if b != c && (b | 0x20) != c {
                    equal = false
                    break
                }
                i += 1
            }
            if equal { return value }
        }
        return nil
    }

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
                warning: ParseWarning(
                    code: "value-mapped", message: "\(field.rawValue) \"\(trimmed.prefix(64))\" read as \"\(target)\"")
            )
        }
        return NormalizedValue(
            value: trimmed,
            warning: ParseWarning(
                code: "unknown-value", message: "unknown \(field.rawValue) \"\(trimmed.prefix(64))\" kept as reported")
        )
    }
}
