import DMARCCore
import Testing

@testable import DMARCIngest

@Suite("Indentation dropped before libxml2 reads a report")
struct IndentationTests {
    /// A pretty-printed report with the text, CDATA, comments and processing instructions the
    /// stripping must leave alone: values on lines of their own, white space inside values, a
    /// "> <" inside CDATA, text that goes on after a processing instruction, CRLF and tabs.
    static func report(records: Int, newline: String = "\n", indent: String = "  ", cdata: Bool) -> String {
        func line(_ depth: Int, _ s: String) -> String { String(repeating: indent, count: depth) + s + newline }
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + newline + "<feedback>" + newline
        xml += line(1, "<report_metadata>")
        xml += line(2, "<org_name>" + newline + "    Example &amp; Co >" + newline + "  </org_name>")
        xml += line(2, "<email>dmarc@reporter.example</email>")
        xml += line(2, "<extra_contact_info>a >" + newline + "  <?pi x?>" + newline + "  b</extra_contact_info>")
        xml += line(2, "<report_id>r1</report_id>")
        xml += line(2, "<date_range><begin>1700000000</begin>" + newline + "<end>1700086399</end></date_range>")
        xml += line(1, "</report_metadata>")
        xml += line(1, "<policy_published><domain>example.com</domain><p>none</p></policy_published>")
        for i in 0..<records {
            xml += line(1, "<record>")
            xml += line(2, "<row>")
            xml += line(3, "<source_ip>192.0.2.\(i % 250 + 1)</source_ip>")
            xml += line(3, "<count>\(i + 1)</count>")
            xml += line(
                3,
                "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated>")
            xml += line(2, "</row>")
            xml += line(2, "<identifiers><header_from>example.com</header_from></identifiers>")
            xml += line(2, "<auth_results>")
            xml += line(3, "<dkim>")
            xml += line(4, "<domain>example.com</domain>")
            xml += line(4, "<selector>\t s\(i % 3) </selector>")
            xml += line(4, "<result>pass</result>")
            if cdata && i == records / 2 {
                xml += line(4, "<human_result><![CDATA[x >" + newline + "   <y]]></human_result>")
                xml += line(4, "<!-- a comment -->")
            } else {
                xml += line(4, "<human_result>ok >" + newline + "  fine >" + newline + "  </human_result>")
            }
            xml += line(3, "</dkim>")
            xml += line(2, "</auth_results>")
            xml += line(1, "</record>")
        }
        return xml + "</feedback>" + newline
    }

    func parse(_ xml: String, strip: Bool, seed: Int) throws -> (TotalsSink, AggregateParseOutcome) {
        let sink = TotalsSink(keepRecords: true)
        let outcome = try AggregateXMLParser(limits: IngestLimits()).parse(
            stream: UnevenStream(Array(xml.utf8), seed: seed), stripIndentation: strip, sink: sink)
        return (sink, outcome)
    }

    @Test(
        "The same report, header, records and warnings with and without stripping, whatever the reads",
        arguments: [("\n", "  ", false), ("\r\n", "\t", false), ("\n", "    ", true), ("\r\n", " ", true)])
    func sameReport(newline: String, indent: String, cdata: Bool) throws {
        let xml = Self.report(records: 300, newline: newline, indent: indent, cdata: cdata)
        let (plain, plainOutcome) = try parse(xml, strip: false, seed: 1)
        #expect(plainOutcome.records == 300)
        for seed in [1, 2, 3, 4_999] {
            let (stripped, outcome) = try parse(xml, strip: true, seed: seed)
            #expect(outcome.header == plainOutcome.header)
            #expect(stripped.reports == plain.reports)
            #expect(stripped.records == plain.records)
        }
        let header = plainOutcome.header
        #expect(header.metadata.orgName == "Example & Co >")
        // (XML reads a CRLF in text as a line feed.)
        #expect(header.metadata.extraContactInfo == "a >\n  \n  b")
        #expect(plain.records[1].dkimResults.first?.humanResult == "ok >\n  fine >")
        #expect(plain.records[7].dkimResults.first?.selector == "s1")
        if cdata {
            // (libxml2 2.9 keeps a CR inside CDATA.)
            let cdataText = plain.records[150].dkimResults.first?.humanResult.map {
                String($0.unicodeScalars.filter { $0 != "\r" })
            }
            #expect(cdataText == "x >\n   <y")
        }
    }

    @Test("Only white space between tags is dropped, and a pretty-printed report loses most of it")
    func onlyWhiteSpace() throws {
        let bytes = Array(Self.report(records: 200, cdata: false).utf8)
        var strip = Indentation()
        let source = UnevenStream(bytes, seed: 5)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_000)
        var read = 0
        while true {
            let (n, r) = try buffer.withUnsafeMutableBytes { try strip.read(from: source, into: $0) }
            read += r
            if n == 0 { break }
            out += buffer[0..<n]
        }
        #expect(read == bytes.count)
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }
        #expect(out.filter { !isSpace($0) } == bytes.filter { !isSpace($0) })
        #expect(out.count < bytes.count * 85 / 100, "\(out.count) of \(bytes.count) bytes left")
        #expect(strip.enabled)
    }

    @Test("A broken report's error gives the line in the file, not in the stripped bytes")
    func errorLine() throws {
        var xml = Self.report(records: 40, cdata: false)
        let lines = xml.split(separator: "\n", omittingEmptySubsequences: false)
        let brokenLine = 300
        #expect(lines[brokenLine - 1].contains("<"))
        xml = lines.enumerated().map { $0.offset == brokenLine - 1 ? $0.element + "<bad attr=>" : $0.element }
            .joined(separator: "\n")
        // Read in recovery mode with the original error as a warning, or refused with it.
        let sink = TotalsSink()
        var message = ""
        do {
            _ = try AggregateReportReader(limits: IngestLimits()).read(
                open: { MemoryStream(Array(xml.utf8)) }, sink: sink)
            message = sink.reports.first?.header.warnings.map(\.message).joined(separator: "; ") ?? ""
        } catch let error as XMLSyntaxError {
            message = error.message
        }
        #expect(message.contains("at line \(brokenLine)"), "\(message)")
    }
}
