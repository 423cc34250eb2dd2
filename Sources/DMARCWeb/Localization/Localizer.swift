import DMARCCore

/// The UI language and everything that depends on it: the string catalogue, numbers, dates.
public struct Localizer: Sendable {
    public enum Language: String, Sendable, CaseIterable {
        case en, ja

        /// The first supported language of an Accept-Language list (`ja-JP` counts as `ja`).
        public static func negotiate(_ accepted: [String]) -> Language {
            for tag in accepted {
                let primary = tag.split(separator: "-").first.map(String.init) ?? tag
                if let l = Language(rawValue: primary) { return l }
            }
            return .en
        }

        /// The language's own name, for the switcher.
        public var nativeName: String { self == .en ? "English" : "日本語" }
    }

    public let language: Language

    public init(_ language: Language) { self.language = language }

    /// The catalogue entry for `key`, with `{0}`, `{1}`… replaced by `arguments`. A key missing
    /// from the Japanese catalogue falls back to English; a key missing from both shows itself.
    public func callAsFunction(_ key: String, _ arguments: String...) -> String {
        fill((language == .ja ? Catalogue.japanese[key] : nil) ?? Catalogue.english[key] ?? key, arguments)
    }

    /// The catalogue entry for `key` with markup as its arguments: the entry is escaped, the
    /// arguments (already HTML) are not.
    func html(_ key: String, _ arguments: HTML...) -> HTML {
        let template = (language == .ja ? Catalogue.japanese[key] : nil) ?? Catalogue.english[key] ?? key
        return HTML(trusted: fill(escapeHTML(template), arguments.map(\.text)))
    }

    /// The catalogue entry for `key` with an array of arguments.
    public func string(_ key: String, _ arguments: [String]) -> String {
        fill((language == .ja ? Catalogue.japanese[key] : nil) ?? Catalogue.english[key] ?? key, arguments)
    }

    /// An explanation from the classifier, readiness, the record generator or a DNS lookup in
    /// this language: the English it carries, or its Japanese from the catalogue, with its
    /// arguments.
    public func explain(_ e: Explanation) -> String {
        guard language == .ja,
            let template = Catalogue.japaneseExplanations[e.code] ?? Catalogue.japaneseRecordExplanations[e.code]
        else { return e.description }
        return fill(template, e.arguments)
    }

    /// Whether `explain` has this explanation in this language (else it gives the English).
    public func canExplain(_ e: Explanation) -> Bool {
        language == .en || Catalogue.japaneseExplanations[e.code] != nil
            || Catalogue.japaneseRecordExplanations[e.code] != nil
    }

    /// A byte count: `512 bytes`, `64 KiB`, `1.5 MiB` (binary units, one decimal unless exact).
    public func bytes(_ n: Int) -> String {
        let units: [(Int, String)] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, unit) in units where n >= size {
            if n % size == 0 { return "\(number(n / size)) \(unit)" }
            return Self.oneDecimal(Double(n) / Double(size)) + " " + unit
        }
        return callAsFunction("unit.bytes", number(n))
    }

    /// A disposition as the domain page's columns name it (`none` is "delivered"); other values
    /// as they are.
    public func disposition(_ value: String?) -> String {
        switch value {
        case "none": callAsFunction("col.none")
        case "quarantine": callAsFunction("col.quarantine")
        case "reject": callAsFunction("col.reject")
        case let other?: other
        case nil: "–"
        }
    }

    /// A report's format (`rfc7489`, `rfc9990`, `rfc9990-no-namespace`, `draft`) in words.
    public func flavour(_ value: String) -> String {
        Catalogue.english["flavour." + value] == nil ? value : callAsFunction("flavour." + value)
    }

    /// A failure cause's fix: the generic fix in this language, then the service's own English
    /// instructions when the catalogue has them (they are vendor-specific and not translated).
    public func fix(_ c: FailureCause) -> String {
        guard language == .ja else { return c.fixText }
        return explain(c.fix) + (c.serviceAdvice.map { " (\($0))" } ?? "")
    }

    private func fill(_ template: String, _ arguments: [String]) -> String {
        // One pass over the template, so an argument holding "{1}" stays as it is.
        var out = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let after = rest.index(after: open)
            if let close = rest[after...].firstIndex(of: "}"), let n = Int(rest[after..<close]), n < arguments.count {
                out += arguments[n]
                rest = rest[rest.index(after: close)...]
            } else {
                out += "{"
                rest = rest[after...]
            }
        }
        return out + rest
    }

    /// The minus sign of every number the UI shows (U+2212, the same width as the plus sign).
    static let minus = "\u{2212}"

    /// An integer with thousands separators (the same in English and Japanese).
    public func number(_ n: Int64) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return n < 0 ? Self.minus + out : out
    }

    public func number(_ n: Int) -> String { number(Int64(n)) }

    /// `part` as a percentage of `whole` with one decimal, or a dash when there is no whole.
    public func percent(_ part: Int64, of whole: Int64) -> String {
        guard whole > 0 else { return "–" }
        return Self.oneDecimal(Double(part) * 100 / Double(whole)) + "%"
    }

    /// A change in percentage points, signed, e.g. `+1.5 pt`.
    public func points(_ delta: Double) -> String {
        Self.signed(delta) + (language == .ja ? " ポイント" : " pt")
    }

    /// A relative change, signed, e.g. `+125.7%`.
    public func signedPercent(_ change: Double) -> String { Self.signed(change) + "%" }

    /// One decimal place with a sign: `+1.5`, `−0.3`, `+0.0` (the sign follows the rounded value,
    /// so nothing shows as "−0.0").
    static func signed(_ v: Double) -> String {
        guard v.isFinite else { return "–" }
        let text = oneDecimal(v)
        return text.hasPrefix(minus) ? text : "+" + text
    }

    /// One decimal place; values beyond ±10^15 (only hostile reports make them) are clamped.
    static func oneDecimal(_ v: Double) -> String {
        guard v.isFinite else { return "–" }
        let tenths = Int64((min(max(v, -1e15), 1e15) * 10).rounded())
        return (tenths < 0 ? minus : "") + "\(tenths.magnitude / 10).\(tenths.magnitude % 10)"
    }

    private static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    private static let fullMonthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]

    /// A month of a year: `October 2024`, `2024年10月`.
    public func month(year: Int, month: Int) -> String {
        guard (1...12).contains(month) else { return "\(year)-\(month)" }
        return language == .ja ? "\(year)年\(month)月" : "\(Self.fullMonthNames[month - 1]) \(year)"
    }

    /// A UTC day number as a date: `3 Dec 2026`, `2026年12月3日`.
    public func date(day: Int64) -> String {
        let (y, m, d) = DayMath.civil(day: day)
        return language == .ja ? "\(y)年\(m)月\(d)日" : "\(d) \(Self.monthNames[m - 1]) \(y)"
    }

    /// A short date for chart axes: `3 Dec`, `12/3`.
    public func shortDate(day: Int64) -> String {
        let (_, m, d) = DayMath.civil(day: day)
        return language == .ja ? "\(m)/\(d)" : "\(d) \(Self.monthNames[m - 1])"
    }

    /// A UNIX time as a UTC date and time.
    public func dateTime(_ t: Int64) -> String {
        let day = DayMath.day(of: t)
        let time = DayMath.isoDateTime(t).split(separator: " ").last.map { String($0.prefix(5)) } ?? ""
        return date(day: day) + " " + time + " UTC"
    }
}
