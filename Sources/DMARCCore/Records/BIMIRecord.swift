/// A BIMI assertion record (TXT at `<selector>._bimi.<domain>`, usually `default`), from the
/// BIMI Internet-Draft; treat its checks as advisory (SPEC §4.6).
///
/// Example: `v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem`.
public struct BIMIRecord: Sendable, Equatable {
    /// `avp`: which avatar the mailbox shows.
    public enum AvatarPreference: String, Sendable, Codable, CaseIterable {
        /// The brand logo (the default).
        case brand
        /// The sender's personal avatar, where there is one.
        case personal
    }

    /// `l`: the HTTPS URL of the SVG logo; `nil` when empty or absent.
    public var logo: String?
    /// `a`: the HTTPS URL of the PEM mark certificate (VMC or CMC); `nil` when empty or absent.
    public var authority: String?
    /// `lps`: local-part selectors, when given.
    public var localPartSelectors: [String]?
    /// `avp`: avatar preference, when given.
    public var avatarPreference: AvatarPreference?
    /// Other tags, kept as written.
    public var unknownTags: [RecordTag]

    /// Makes a record.
    public init(
        logo: String?, authority: String? = nil, localPartSelectors: [String]? = nil,
        avatarPreference: AvatarPreference? = nil, unknownTags: [RecordTag] = []
    ) {
        self.logo = logo
        self.authority = authority
        self.localPartSelectors = localPartSelectors
        self.avatarPreference = avatarPreference
        self.unknownTags = unknownTags
    }

    /// Whether the record declines to publish a logo (`l` and `a` both empty or absent).
    public var declines: Bool { logo == nil && authority == nil }

    /// The canonical text: `v=BIMI1; l=…; a=…` and the other tags that are set.
    public func render() -> String {
        var parts = ["v=BIMI1", "l=\(logo ?? "")"]
        if let authority { parts.append("a=\(authority)") }
        if let localPartSelectors { parts.append("lps=" + localPartSelectors.joined(separator: ",")) }
        if let avatarPreference { parts.append("avp=\(avatarPreference.rawValue)") }
        parts += unknownTags.map(\.description)
        return parts.joined(separator: "; ")
    }

    /// Parses the TXT value (its strings already joined).
    ///
    /// `record` is `nil` when `v=BIMI1` (exact case) is not the first tag.
    public static func parse(_ text: String) -> (record: BIMIRecord?, findings: [RecordFinding]) {
        var findings: [RecordFinding] = []
        func add(_ severity: FindingSeverity, _ code: String, _ message: String, fix: String) {
            findings.append(RecordFinding(severity, code, message, fix: fix))
        }
        let tags = TagListSplitter.split(text)
        guard let first = tags.first, first.name == "v", first.value == "BIMI1" else {
            add(
                .error, "bimi-invalid-version",
                "The record does not start with v=BIMI1, so it is not a BIMI record and mailbox providers ignore it.",
                fix: "Publish \"v=BIMI1; l=https://<host>/logo.svg; a=https://<host>/vmc.pem\".")
            return (nil, findings)
        }
        var record = BIMIRecord(logo: nil)
        var seen: Set<String> = ["v"]
        var sawLogo = false
        for tag in tags.dropFirst() {
            guard tag.hasEquals, !tag.name.isEmpty else {
                add(
                    .error, "bimi-syntax", "\"\(tag.text)\" is not a tag=value pair.",
                    fix: "Write tags as name=value separated by semicolons.")
                continue
            }
            let name = tag.name.lowercased()
            guard seen.insert(name).inserted else {
                add(
                    .error, "bimi-duplicate-tag", "The tag \(name) appears more than once; only the first is used.",
                    fix: "Keep one \(name)= tag.")
                continue
            }
            switch name {
            case "l":
                sawLogo = true
                guard !tag.value.isEmpty else { continue }
                guard let url = httpsURL(tag.value, tag: "l", add: add) else { continue }
                record.logo = url
                if !url.lowercased().hasSuffix(".svg") {
                    add(
                        .warning, "bimi-logo-not-svg",
                        "The logo \(url) does not end in .svg; BIMI logos must be SVG Tiny PS files.",
                        fix: "Publish the logo as an SVG Tiny PS file and point l= at it.")
                }
            case "a":
                guard !tag.value.isEmpty else { continue }
                record.authority = httpsURL(tag.value, tag: "a", add: add)
            case "lps":
                record.localPartSelectors = tag.value.split(separator: ",").map { $0.trimmedASCII }
            case "avp":
                if let preference = AvatarPreference(rawValue: tag.value.lowercased()) {
                    record.avatarPreference = preference
                } else {
                    add(
                        .error, "bimi-invalid-avp", "avp=\(tag.value) is not brand or personal; it is ignored.",
                        fix: "Write avp=brand or avp=personal, or remove it.")
                }
            default:
                record.unknownTags.append(RecordTag(name: tag.name, value: tag.value))
                add(
                    .info, "bimi-unknown-tag", "The tag \(tag.name) is not defined by BIMI; it is ignored.",
                    fix: "Check its spelling (l, a, lps, avp) or remove it.")
            }
        }
        if record.declines, !findings.hasErrors {
            add(
                .info, "bimi-declined",
                "l= and a= are both empty or absent: the domain declines to publish a logo.",
                fix: "Nothing to do if that is intended; otherwise set l= to the HTTPS URL of your SVG logo.")
        } else if record.logo == nil, record.authority != nil, !sawLogo {
            add(
                .warning, "bimi-missing-logo", "The record has a= but no l=, so there is no logo to show.",
                fix: "Add l= with the HTTPS URL of your SVG logo.")
        } else if record.logo != nil, record.authority == nil {
            add(
                .info, "bimi-no-authority",
                "There is no a= mark certificate; most mailbox providers (Gmail, Apple, Yahoo) show the logo only "
                    + "with a Verified or Common Mark Certificate.",
                fix: "Obtain a VMC or CMC and publish its PEM file at an https:// URL in a=.")
        }
        return (record, findings)
    }

    /// Checks that `value` is one HTTPS URL with a host; reports and returns `nil` otherwise.
    static func httpsURL(
        _ value: String, tag: String, add: (FindingSeverity, String, String, String) -> Void
    ) -> String? {
        let what = tag == "l" ? "logo" : "authority (mark certificate)"
        let code = tag == "l" ? "bimi-logo" : "bimi-authority"
        guard !value.contains(","), case .success(let uri) = ReportURI.parse(value, allowingSizeLimit: false),
            uri.host != nil
        else {
            add(
                .error, "\(code)-invalid", "\(tag)=\(value) is not a single URL, so the \(what) is ignored.",
                "Give exactly one https:// URL in \(tag)=.")
            return nil
        }
        guard uri.scheme == "https" else {
            add(
                .error, "\(code)-not-https", "\(tag)=\(value) does not use https://, so the \(what) is ignored.",
                "Serve the file over HTTPS and write its https:// URL in \(tag)=.")
            return nil
        }
        return uri.uri
    }
}
