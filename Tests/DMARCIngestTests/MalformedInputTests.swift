import DMARCCore
import Testing

@testable import DMARCIngest

@Suite("Malformed reports: repaired with a warning, or refused with a reason")
struct MalformedInputTests {
    func parse(_ xml: String, limits: IngestLimits = IngestLimits()) throws -> (
        ReportTotals?, [AggregateRecord], String?
    ) {
        let sink = TotalsSink(keepRecords: true)
        do {
            _ = try AggregateReportReader(limits: limits).read(open: { MemoryStream(Array(xml.utf8)) }, sink: sink)
            return (sink.reports.first, sink.records, nil)
        } catch {
            return (nil, [], "\(error)")
        }
    }

    static let record = """
        <record><row><source_ip>192.0.2.1</source_ip><count>3</count>
        <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row>
        <identifiers><header_from>example.com</header_from></identifiers>
        <auth_results><dkim><domain>example.com</domain><selector>s1</selector><result>pass</result></dkim>
        <spf><domain>example.com</domain><result>fail</result></spf></auth_results></record>
        """

    static func report(metadata: String = "", policy: String = "", records: String = record, prolog: String = "")
        -> String
    {
        """
        <?xml version="1.0" encoding="UTF-8"?>\(prolog)
        <feedback><report_metadata><org_name>Reporter</org_name><email>dmarc@reporter.example</email>
        <report_id>r1</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range>\(metadata)
        </report_metadata><policy_published><domain>example.com</domain><p>none</p>\(policy)</policy_published>
        \(records)</feedback>
        """
    }

    @Test("A clean report parses without warnings")
    func clean() throws {
        let (totals, records, error) = try parse(Self.report())
        #expect(error == nil)
        #expect(totals?.header.warnings == [])
        #expect(records.first?.dkimResults == [DKIMAuthResult(domain: "example.com", selector: "s1", result: "pass")])
        #expect(records.first?.spfResults.first?.result == "fail")
    }

    @Test("An unescaped < in a value is escaped, with a warning")
    func unescapedMarkup() throws {
        let xml = Self.report(
            records: Self.record.replacingOccurrences("<header_from>example.com", "<header_from><evil>example.com"))
        let (totals, records, error) = try parse(xml)
        #expect(error == nil)
        #expect(records.first?.headerFrom == "<evil>example.com")
        #expect(totals?.header.warnings.contains { $0.code == "xml-repaired" } == true)
    }

    @Test("An unescaped & in the organisation name is repaired")
    func bareAmpersand() throws {
        let xml = Self.report().replacingOccurrences("<org_name>Reporter", "<org_name>AT&T Reporter")
        let (totals, _, error) = try parse(xml)
        #expect(error == nil)
        #expect(totals?.header.metadata.orgName == "AT&T Reporter")
    }

    @Test("Invalid UTF-8 is read as windows-1252, with a warning")
    func invalidUTF8() throws {
        var bytes = Array(Self.report().utf8)
        let marker = Array("Reporter<".utf8)
        let at = bytes.firstRange(of: marker)!.lowerBound + 8
        bytes.insert(0x91, at: at)
        let sink = TotalsSink()
        _ = try AggregateReportReader(limits: IngestLimits()).read(open: { MemoryStream(bytes) }, sink: sink)
        #expect(sink.reports.first?.header.metadata.orgName == "Reporter\u{2018}")
        #expect(sink.reports.first?.header.warnings.contains { $0.message.contains("windows-1252") } == true)
    }

    @Test("A declared windows-1252 encoding is honoured")
    func windows1252() throws {
        var bytes = Array(Self.report().replacingOccurrences("UTF-8", "windows-1252").utf8)
        let at = bytes.firstRange(of: Array("Reporter<".utf8))!.lowerBound + 8
        bytes.insert(0xE9, at: at)  // é
        let sink = TotalsSink()
        _ = try AggregateReportReader(limits: IngestLimits()).read(open: { MemoryStream(bytes) }, sink: sink)
        #expect(sink.reports.first?.header.metadata.orgName == "Reporteré")
    }

    @Test("Control characters are removed")
    func controlCharacters() throws {
        let xml = Self.report(records: Self.record.replacingOccurrences("<disposition>none", "<disposition>\u{07}none"))
        let (totals, records, error) = try parse(xml)
        #expect(error == nil)
        #expect(records.first?.disposition == "none")
        #expect(totals?.header.warnings.contains { $0.message.contains("control character") } == true)
    }

    @Test("Upper-case and non-standard values are normalised with warnings")
    func normalisation() throws {
        let record = Self.record.replacingOccurrences(
            "<dkim>pass</dkim><spf>fail</spf>", "<dkim>Pass</dkim><spf>FAIL</spf>"
        )
        .replacingOccurrences("<result>fail</result></spf>", "<result>hardfail</result><scope>MFrom</scope></spf>")
        let (totals, records, error) = try parse(Self.report(records: record))
        #expect(error == nil)
        let r = try #require(records.first)
        #expect(r.dkim == "pass")
        #expect(r.spf == "fail")
        #expect(r.spfResults.first?.result == "fail")
        #expect(r.spfResults.first?.scope == "mfrom")
        #expect(totals?.header.warnings.contains { $0.message.contains("hardfail") } == true)
    }

    @Test("Unknown values are kept raw with a warning")
    func unknownValue() throws {
        let record = Self.record.replacingOccurrences("<disposition>none", "<disposition>bounced")
        let (totals, records, _) = try parse(Self.report(records: record))
        #expect(records.first?.disposition == "bounced")
        #expect(totals?.header.warnings.contains { $0.code == "unknown-value" } == true)
    }

    @Test("Elements in any order, with the RFC 9990 namespace")
    func anyOrderNamespaced() throws {
        let xml = """
            <feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">
            <policy_published><p>reject</p><domain>Example.COM</domain><np>quarantine</np></policy_published>
            <report_metadata><date_range><end>1700086399</end><begin>1700000000</begin></date_range>
            <report_id>x</report_id><email>a@b.example</email><org_name>B</org_name><generator>gen 1</generator></report_metadata>
            \(Self.record)</feedback>
            """
        let (totals, _, error) = try parse(xml)
        #expect(error == nil)
        #expect(totals?.header.flavour == .rfc9990)
        #expect(totals?.header.policy.domain == "example.com")
        #expect(totals?.header.policy.np == "quarantine")
        #expect(totals?.header.metadata.generator == "gen 1")
        #expect(totals?.messages == 3)
    }

    @Test("Records before the metadata are held back, then stored")
    func recordsFirst() throws {
        let xml = """
            <feedback>\(Self.record)<report_metadata><org_name>R</org_name><email>r@r.example</email><report_id>1</report_id>
            <date_range><begin>1</begin><end>2</end></date_range></report_metadata>
            <policy_published><domain>example.com</domain><p>none</p></policy_published></feedback>
            """
        let (totals, _, error) = try parse(xml)
        #expect(error == nil)
        #expect(totals?.records == 1)
    }

    @Test("A bad row is skipped, not the report")
    func badRowSkipped() throws {
        let bad = Self.record.replacingOccurrences("192.0.2.1", "X.X.X.X")
        let nullRow = "<record><row><source_ip></source_ip><count>0</count></row></record>"
        let (totals, records, error) = try parse(Self.report(records: Self.record + bad + nullRow))
        #expect(error == nil)
        #expect(records.count == 1)
        #expect(totals?.header.warnings.contains { $0.code == "record-skipped" } == true)
        #expect(totals?.header.warnings.contains { $0.code == "null-record" } == true)
    }

    @Test("An implausible count is skipped, not summed into an overflow")
    func hugeCount() throws {
        let huge = Self.record.replacingOccurrences("<count>3</count>", "<count>9000000000000000000</count>")
        let (totals, records, error) = try parse(Self.report(records: huge + huge + Self.record))
        #expect(error == nil)
        #expect(records.count == 1)
        #expect(totals?.messages == 3)
    }

    @Test(
        "A date range that runs backwards, before 1970 or over a year is refused",
        arguments: [
            ("1700086399", "1700000000"), ("-9223372036854775808", "1"), ("0", "999999999999999999"),
        ])
    func implausiblePeriod(_ begin: String, _ end: String) throws {
        let xml = Self.report().replacingOccurrences(
            "<begin>1700000000</begin><end>1700086399</end>", "<begin>\(begin)</begin><end>\(end)</end>")
        let (_, _, error) = try parse(xml)
        #expect(error?.contains("date_range") == true, "\(error ?? "no error")")
    }

    @Test("A foreign element with a report element's name does not hide the real one")
    func foreignNamespace() throws {
        let xml = Self.report(policy: "").replacingOccurrences(
            "<policy_published><domain>",
            #"<policy_published xmlns:v="urn:x"><v:domain>evil.example</v:domain><domain>"#)
        let (totals, _, error) = try parse(xml)
        #expect(error == nil)
        #expect(totals?.header.policy.domain == "example.com")
    }

    @Test("A bracketed IPv4 source is stored without brackets")
    func bracketedIPv4() throws {
        let record = Self.record.replacingOccurrences("192.0.2.1", "[192.0.2.1]")
        let (_, records, _) = try parse(Self.report(records: record))
        #expect(records.first?.sourceIP == "192.0.2.1")
    }

    @Test("IPv6 sources are stored in canonical form")
    func ipv6() throws {
        let record = Self.record.replacingOccurrences("192.0.2.1", "2001:0DB8:0000:0000:0000:0000:0000:0001")
        let (_, records, _) = try parse(Self.report(records: record))
        #expect(records.first?.sourceIP == "2001:db8::1")
    }

    @Test("A DOCTYPE is refused: no DTD, no entities")
    func doctypeRefused() throws {
        let xml = """
            <?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY x "boom">]>
            <feedback><report_metadata><org_name>&x;</org_name></report_metadata></feedback>
            """
        let (_, _, error) = try parse(xml)
        #expect(error?.contains("DOCTYPE") == true)
    }

    @Test("A billion-laughs DOCTYPE is refused as a DOCTYPE, nothing expanded")
    func billionLaughs() throws {
        var entities = #"<!ENTITY l0 "lol">"#
        for i in 1...9 { entities += "<!ENTITY l\(i) \"" + String(repeating: "&l\(i - 1);", count: 10) + "\">" }
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE feedback [\(entities)]>
            <feedback><report_metadata><org_name>&l9;</org_name></report_metadata></feedback>
            """
        let (_, _, error) = try parse(xml)
        #expect(error?.contains("DOCTYPE") == true, "\(error ?? "no error")")
    }

    @Test("An external entity is never fetched")
    func externalEntity() throws {
        let xml = """
            <?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY x SYSTEM "file:///etc/passwd">]>
            <feedback><report_metadata><org_name>&x;</org_name></report_metadata></feedback>
            """
        let (totals, _, error) = try parse(xml)
        #expect(totals == nil)
        #expect(error != nil)
    }

    @Test("A document that is not a report says so")
    func notAReport() throws {
        let (_, _, error) = try parse("<html><body>hello</body></html>")
        #expect(error?.contains("not a DMARC aggregate report") == true)
    }

    @Test("A report without a policy domain is refused with the reason")
    func missingDomain() throws {
        let (_, _, error) = try parse(Self.report().replacingOccurrences("<domain>example.com</domain><p>", "<p>"))
        #expect(error?.contains("policy_published") == true)
    }

    @Test("Truncated XML that cannot be repaired gives the XML error")
    func truncated() throws {
        let xml = String(Self.report().prefix(300))
        let (_, _, error) = try parse(xml)
        #expect(error != nil)
    }

    @Test("The record limit is enforced")
    func recordLimit() throws {
        var limits = IngestLimits()
        limits.recordsPerReport = 2
        let (_, _, error) = try parse(Self.report(records: Self.record + Self.record + Self.record), limits: limits)
        #expect(error?.contains("limit") == true)
    }

    /// A report needing every repair: a stray wrapper (closed at the end), invalid UTF-8, a
    /// control character, markup and a bare '&' in values, a comment and CDATA that hold tags and
    /// '>', and bytes after `</feedback>`.
    static func brokenReport(records: Int) -> [UInt8] {
        let record = Self.record.replacingOccurrences("<header_from>example.com", "<header_from><a&b>example.com")
        var xml = Array(
            Self.report(
                metadata: "<!-- an <email>x</email> in a comment -> > --><extra_contact_info><![CDATA[a <b> ]> c]]></extra_contact_info>",
                records: String(repeating: record, count: records),
                prolog: "\n<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">"
            ).replacingOccurrences("<org_name>Reporter", "<org_name>Reporter\u{07}X"
            ).utf8) + Array("</xs:schema>\r\n\0garbage".utf8)
        xml.insert(0x92, at: xml.firstRange(of: Array("\u{07}X".utf8))!.upperBound)
        return xml
    }

    @Test("The repairs are made as the bytes are read, the same however they are cut")
    func repairsStreamed() throws {
        let bytes = Self.brokenReport(records: 3)
        for seed in 1...40 {
            let sink = TotalsSink(keepRecords: true)
            _ = try AggregateReportReader(limits: IngestLimits()).read(
                open: { UnevenStream(bytes, seed: seed) }, sink: sink)
            let report = try #require(sink.reports.first, "seed \(seed)")
            #expect(report.header.metadata.orgName == "ReporterX\u{2019}", "seed \(seed)")
            #expect(report.header.metadata.extraContactInfo == "a <b> ]> c", "seed \(seed)")
            #expect(sink.records.count == 3)
            #expect(sink.records.allSatisfy { $0.headerFrom == "<a&b>example.com" }, "seed \(seed)")
            let messages = report.header.warnings.filter { $0.code == "xml-repaired" }.map(\.message)
            #expect(
                messages == [
                    "1 byte(s) of invalid UTF-8 read as windows-1252", "2 control character(s) removed",
                    "stray <xs:schema> tag removed", "unescaped markup characters escaped in 3 value(s)",
                    "7 byte(s) after </feedback> dropped",
                ], "seed \(seed)")
            #expect(!report.header.warnings.contains { $0.code == "xml-recovered" })
        }
    }

    @Test("A UTF-8 character cut between two reads is not mistaken for invalid bytes")
    func cutCharacter() throws {
        // Each three-byte character lands across a read boundary for some seed.
        let xml = Self.report().replacingOccurrences("<org_name>Reporter", "<org_name>日本語のレポート\u{07}")
        for seed in 1...40 {
            let sink = TotalsSink()
            _ = try AggregateReportReader(limits: IngestLimits()).read(
                open: { UnevenStream(Array(xml.utf8), seed: seed) }, sink: sink)
            #expect(sink.reports.first?.header.metadata.orgName == "日本語のレポート", "seed \(seed)")
            #expect(sink.reports.first?.header.warnings.contains { $0.message.contains("windows-1252") } == false)
        }
    }

    @Test("A large report with one bad byte at its end is repaired whole, in pieces")
    func largeRepaired() throws {
        var bytes = Array(Self.report(records: String(repeating: Self.record, count: 5_000)).utf8)
        let marker = Array("example.com</header_from>".utf8)
        let last = (0...(bytes.count - marker.count)).reversed().first {
            bytes[$0..<($0 + marker.count)].elementsEqual(marker)
        }
        bytes.insert(0xE9, at: try #require(last))
        let sink = TotalsSink()
        _ = try AggregateReportReader(limits: IngestLimits()).read(open: { UnevenStream(bytes) }, sink: sink)
        #expect(sink.reports.first?.records == 5_000)
        #expect(sink.reports.first?.messages == 15_000)
        #expect(sink.reports.first?.header.warnings.map(\.message) == ["1 byte(s) of invalid UTF-8 read as windows-1252"])
    }

    @Test("A value too long to hold is passed on as it is, and the rest still repaired")
    func longValue() throws {
        let long = String(repeating: "x", count: XMLRepair.valueLimit + 10)
        let xml = Self.report(
            metadata: "<extra_contact_info>\(long)</extra_contact_info>",
            records: Self.record.replacingOccurrences("<header_from>example.com", "<header_from><a>example.com"))
        let (totals, records, error) = try parse(xml)
        #expect(error == nil)
        #expect(totals?.header.metadata.extraContactInfo?.count == long.count)
        #expect(records.first?.headerFrom == "<a>example.com")
    }

    /// The report with one byte that is not UTF-8 in its org_name, so the repairs run.
    static func repairing(_ xml: String) -> [UInt8] {
        var bytes = Array(xml.utf8)
        bytes.insert(0x91, at: bytes.firstRange(of: Array("<org_name>".utf8))!.upperBound)
        return bytes
    }

    func read(_ bytes: [UInt8], seed: Int = 1) throws -> TotalsSink {
        let sink = TotalsSink(keepRecords: true)
        _ = try AggregateReportReader(limits: IngestLimits()).read(open: { UnevenStream(bytes, seed: seed) }, sink: sink)
        return sink
    }

    @Test("White space before the XML declaration is removed")
    func spaceBeforeDeclaration() throws {
        let sink = try read(Array(("\r\n  " + Self.report()).utf8))
        #expect(sink.reports.first?.records == 1)
        #expect(
            sink.reports.first?.header.warnings.map(\.message) == [
                "4 byte(s) of white space before the XML declaration removed"
            ])
    }

    @Test("An unclosed wrapper and bytes after </feedback> are both repaired")
    func wrapperAndTrailer() throws {
        let xml = Self.report(prolog: "\n<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">") + "\n-- \nSent by X\n"
        let sink = try read(Self.repairing(xml))
        #expect(sink.reports.first?.records == 1)
        let messages = sink.reports.first?.header.warnings.map(\.message) ?? []
        #expect(messages.contains("stray <xs:schema> tag removed"))
        #expect(messages.contains("9 byte(s) after </feedback> dropped"), "\(messages)")
    }

    @Test("An end tag with white space before its '>' still ends a value; the repairs after it go on")
    func endTagWithSpace() throws {
        let xml = Self.report().replacingOccurrences("</org_name>", "</org_name >")
            .replacingOccurrences("<report_id>r1", "<report_id>r&1")
        let sink = try read(Self.repairing(xml))
        #expect(sink.reports.first?.header.metadata.reportID == "r&1")
        #expect(sink.reports.first?.header.metadata.orgName == "\u{2018}Reporter")
    }

    @Test("A comment or processing instruction inside a value stays markup; a lone '>' is not escaped")
    func markupInValue() throws {
        let xml = Self.report().replacingOccurrences("<report_id>r1", "<report_id>r<!-- internal -->1<?pi x?>2")
            .replacingOccurrences("<email>dmarc@", "<email>a>b dmarc@")
        let sink = try read(Self.repairing(xml))
        #expect(sink.reports.first?.header.metadata.reportID == "r12")
        #expect(sink.reports.first?.header.metadata.email == "a>b dmarc@reporter.example")
        #expect(sink.reports.first?.header.warnings.contains { $0.message.contains("escaped") } == false)
    }

    @Test("Comments are ended by their own '-->', however the reads are cut, and kept after </feedback>")
    func commentsAcrossReads() throws {
        let xml = Self.report(metadata: "<!-->see </feedback> below--><!---->") + "\n<!-- sent by X --><?done?>\n"
        let bytes = Self.repairing(xml)
        // Cut in two at every byte of the comments, so each of their ends falls at a read's end.
        let first = bytes.firstRange(of: Array("<!-->".utf8))!.lowerBound
        for cut in first...(first + 40) {
            let sink = TotalsSink()
            _ = try AggregateReportReader(limits: IngestLimits()).read(
                open: { TwoPieces(bytes, cut: cut) }, sink: sink)
            #expect(sink.reports.first?.records == 1, "cut \(cut)")
            let messages = sink.reports.first?.header.warnings.map(\.message) ?? []
            #expect(messages == ["1 byte(s) of invalid UTF-8 read as windows-1252"], "cut \(cut): \(messages)")
        }
    }

    /// A source whose first read ends at `cut`; the second gives the rest.
    final class TwoPieces: ByteStream {
        let bytes: [UInt8]
        var pieces: [Range<Int>]
        init(_ bytes: [UInt8], cut: Int) {
            self.bytes = bytes
            pieces = [0..<cut, cut..<bytes.count]
        }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            guard !pieces.isEmpty else { return 0 }
            let piece = pieces[0]
            let n = min(piece.count, buffer.count)
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + piece.lowerBound, byteCount: n) }
            if n == piece.count { pieces.removeFirst() } else { pieces[0] = (piece.lowerBound + n)..<piece.upperBound }
            return n
        }
    }

    @Test("Values are repaired in any namespace, with attributes, and where an address looks like a tag")
    func valueForms() throws {
        let xml = Self.report()
            .replacingOccurrences("<org_name>Reporter</org_name>", #"<org_name lang="en">Reporter & Co</org_name>"#)
            .replacingOccurrences(
                "<email>dmarc@reporter.example</email>", "<email><p@reporter.example></email><x:report_id xmlns:x=\"urn:x\">a&b</x:report_id>"
            )
            .replacingOccurrences("<report_id>r1</report_id>", "<report_id>r&nbsp;1</report_id>")
        let sink = try read(Array(xml.utf8))
        let header = try #require(sink.reports.first?.header)
        #expect(header.metadata.orgName == "Reporter & Co")
        #expect(header.metadata.email == "<p@reporter.example>")
        #expect(header.metadata.reportID == "r&nbsp;1")
    }

    @Test("Only the report's own end tag ends it: a foreign <feedback> inside, a processing instruction holding one")
    func nestedFeedback() throws {
        let record = Self.record.replacingOccurrences(
            "<record>", #"<record><extension><x:feedback xmlns:x="urn:x">hi</x:feedback><feedback xmlns="urn:y"/></extension>"#)
        let xml = Self.report(metadata: "<?pi ></feedback> ?>", records: record + record) + "<?after a > b?>\n"
        let sink = try read(Self.repairing(xml))
        #expect(sink.reports.first?.records == 2)
        #expect(sink.reports.first?.header.warnings.map(\.message) == ["1 byte(s) of invalid UTF-8 read as windows-1252"])
    }

    @Test("A document in an encoding where control bytes are characters (ISO-2022-JP) is left as it is")
    func iso2022() throws {
        // 日本 in ISO-2022-JP: ESC $ B, two 2-byte characters, ESC ( B.
        let japanese: [UInt8] = [0x1B, 0x24, 0x42, 0x46, 0x7C, 0x4B, 0x5C, 0x1B, 0x28, 0x42]
        var bytes = Array(
            Self.report().replacingOccurrences("UTF-8", "ISO-2022-JP")
                .replacingOccurrences("<report_id>r1", "<report_id>r&1").utf8)
        bytes.insert(contentsOf: japanese, at: bytes.firstRange(of: Array("<org_name>".utf8))!.upperBound)
        let sink = try read(bytes)
        #expect(sink.reports.first?.header.metadata.orgName == "日本Reporter")
        #expect(sink.reports.first?.header.metadata.reportID == "r&1")
        #expect(sink.reports.first?.header.warnings.contains { $0.message.contains("control") } == false)
    }

    @Test("U+FFFE and U+FFFF are removed; a stray empty tag and a stray element before the report go")
    func nonCharactersAndStrayTags() throws {
        let xml = Self.report(prolog: #"<xs:schema xmlns:xs="urn:x"><xs:element name="a"/></xs:schema><xs:note/>"#)
            .replacingOccurrences("<org_name>Reporter", "<org_name>Re\u{FFFF}porter\u{FFFE}")
        let sink = try read(Array(xml.utf8))
        #expect(sink.reports.first?.header.metadata.orgName == "Reporter")
        let messages = sink.reports.first?.header.warnings.map(\.message) ?? []
        #expect(messages.contains("2 character(s) U+FFFE/U+FFFF removed"), "\(messages)")
        #expect(messages.contains("stray <xs:element> tag removed") && messages.contains("stray <xs:note> tag removed"))
    }

    @Test("A tag longer than a read is looked at however the reads cut it")
    func longTagAcrossReads() throws {
        let xml = Self.report().replacingOccurrences(
            "<feedback>", "<feedback xmlns:a=\"urn:\(String(repeating: "a", count: 5_000))\">")
        let bytes = Self.repairing(xml)
        let start = bytes.firstRange(of: Array("<feedback".utf8))!.lowerBound
        for cut in stride(from: start, through: start + 5_100, by: 500) {
            let sink = TotalsSink()
            _ = try AggregateReportReader(limits: IngestLimits()).read(open: { TwoPieces(bytes, cut: cut) }, sink: sink)
            #expect(sink.reports.first?.records == 1, "cut \(cut)")
            #expect(sink.reports.first?.header.warnings.count == 1, "cut \(cut)")
        }
    }

    @Test("A second <feedback> in a document is ignored with a warning, not merged into the first")
    func secondFeedback() throws {
        let one = Self.report().replacingOccurrences(#"<?xml version="1.0" encoding="UTF-8"?>"#, "")
        let xml = "<reports>\(one)\(one.replacingOccurrences("<count>3</count>", "<count>5</count>"))</reports>"
        let (totals, records, error) = try parse(xml)
        #expect(error == nil)
        #expect(records.count == 1)
        #expect(totals?.messages == 3)
        #expect(totals?.header.warnings.contains { $0.message.contains("second <feedback>") } == true)
    }
}
