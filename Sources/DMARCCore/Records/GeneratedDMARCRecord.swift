/// A TXT record to publish: its owner name and its value.
public struct TXTRecord: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The owner name, without a trailing dot, e.g. `_dmarc.example.com`.
    public var name: String
    /// The TXT value, e.g. `v=DMARC1; p=none`.
    public var value: String

    /// Makes a record.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// `name TXT "value"`, roughly as a zone file has it.
    public var description: String { "\(name) TXT \"\(value)\"" }
}

/// The output of `DMARCRecordGenerator.generate`: the record, why each tag is there, and the
/// records other domains must publish so that receivers send them reports.
public struct GeneratedDMARCRecord: Sendable, Equatable {
    /// Where to publish: `_dmarc.<domain>`.
    public var name: String
    /// The record text, canonical and valid.
    public var value: String
    /// One plain-language line per choice, e.g. `p=quarantine: receivers put failing mail in spam`,
    /// with a code and arguments so a UI can show it in another language.
    public var notes: [Explanation]
    /// The notes in English.
    public var explanations: [String] { notes.map(\.description) }
    /// For each report destination outside the domain's organisation, the
    /// `<domain>._report._dmarc.<host>` record (`v=DMARC1;`) that the destination's domain must
    /// publish, or receivers drop the reports (RFC 7489 §7.1, SPEC §1.8).
    public var authorizationRecords: [TXTRecord]

    /// The generated record as a `TXTRecord`.
    public var record: TXTRecord { TXTRecord(name: name, value: value) }
}
