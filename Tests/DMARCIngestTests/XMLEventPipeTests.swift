import DMARCCore
import Testing

@testable import DMARCIngest

/// The parser reads libxml2's nodes from a thread of its own through buffers of events; these
/// tests make the buffers tiny, so events and text are cut at every place they can be.
@Suite("Events from libxml2's thread")
struct XMLEventPipeTests {
    /// A report with `count` records, varied, and a contact text far longer than any buffer.
    static func report(records count: Int, longText: Int = 300_000) -> String {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0"><report_metadata><org_name>Reporter &amp; Co</org_name>
            <email>dmarc@reporter.example</email>
            <extra_contact_info>\(String(repeating: "0123456789abcdef", count: longText / 16))</extra_contact_info>
            <report_id>r1</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range>
            </report_metadata><policy_published><domain>Example.COM</domain><p>none</p></policy_published>
            """
        for i in 0..<count {
            xml += """
                <record><row><source_ip>192.0.\(i / 250 % 250).\(i % 250 + 1)</source_ip><count>\(i % 7 + 1)</count>
                <policy_evaluated><disposition>\(i % 3 == 0 ? "quarantine" : "none")</disposition><dkim>pass</dkim>
                <spf>\(i % 2 == 0 ? "pass" : "fail")</spf></policy_evaluated></row>
                <identifiers><header_from>mail\(i % 5).example.com</header_from><envelope_from><![CDATA[bounce\(i).example.net]]></envelope_from></identifiers>
                <auth_results><dkim><domain>example.com</domain><selector>s\(i % 3)</selector><result>pass</result><human_result>\(String(repeating: "h", count: i % 97))</human_result></dkim>
                <spf><domain>example.net</domain><scope>mfrom</scope><result>fail</result></spf><empty_extension/></auth_results></record>
                """
        }
        return xml + "</feedback>"
    }

    func read(_ xml: String, bufferSize: Int, sink: AggregateReportSink) throws -> AggregateParseOutcome {
        var parser = AggregateXMLParser(limits: IngestLimits())
        parser.eventBufferSize = bufferSize
        return try parser.parse(stream: MemoryStream(Array(xml.utf8)), sink: sink)
    }

    @Test("Tiny buffers give the same report, record for record, as large ones", arguments: [64, 97, 1000, 128 * 1024])
    func sameResult(bufferSize: Int) throws {
        let xml = Self.report(records: 400)
        let reference = TotalsSink(keepRecords: true)
        _ = try read(xml, bufferSize: 1 << 20, sink: reference)
        let sink = TotalsSink(keepRecords: true)
        let outcome = try read(xml, bufferSize: bufferSize, sink: sink)
        #expect(outcome.records == 400)
        #expect(sink.reports == reference.reports)
        #expect(sink.records == reference.records)
        // The long text arrives whole, however many buffers it was cut into.
        #expect(sink.reports.first?.header.metadata.extraContactInfo?.utf8.count == 300_000)
        #expect(sink.records.last?.envelopeFrom == "bounce399.example.net")
        #expect(sink.records[96].dkimResults.first?.humanResult == String(repeating: "h", count: 96))
    }

    /// Says the report is already stored, so the parser stops reading at its first record.
    final class DuplicateSink: AggregateReportSink {
        var records = 0
        func begin(_ header: AggregateReportHeader) throws -> Bool { false }
        func record(_ r: AggregateRecord) throws { records += 1 }
        func finish(_ header: AggregateReportHeader) throws {}
        func abort() {}
    }

    /// Fails on the tenth record.
    final class FailingSink: AggregateReportSink {
        struct Refused: Error {}
        var records = 0
        var aborted = false
        func begin(_ header: AggregateReportHeader) throws -> Bool { true }
        func record(_ r: AggregateRecord) throws {
            records += 1
            if records == 10 { throw Refused() }
        }
        func finish(_ header: AggregateReportHeader) throws {}
        func abort() { aborted = true }
    }

    @Test("Stopping early lets libxml2's thread go: a duplicate, or a sink that fails")
    func stopsEarly() throws {
        let xml = Self.report(records: 20_000, longText: 16)
        for bufferSize in [64, 4096, 128 * 1024] {
            for _ in 0..<10 {
                let outcome = try read(xml, bufferSize: bufferSize, sink: DuplicateSink())
                #expect(outcome.duplicate)
                #expect(outcome.records < 20_000)
                let failing = FailingSink()
                #expect(throws: FailingSink.Refused.self) { try read(xml, bufferSize: bufferSize, sink: failing) }
                #expect(failing.records == 10)
                #expect(failing.aborted)
            }
        }
    }

    /// Counts the bytes read from it.
    final class CountingStream: ByteStream {
        let inner: MemoryStream
        var total = 0
        init(_ bytes: [UInt8]) { inner = MemoryStream(bytes) }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = try inner.read(into: buffer)
            total += n
            return n
        }
    }

    @Test("Once the consumer has gone, libxml2's thread reads no further than its buffers")
    func stopsReading() throws {
        let bytes = Array(Self.report(records: 20_000, longText: 16).utf8)
        for bufferSize in [64, 4096] {
            let stream = CountingStream(bytes)
            var parser = AggregateXMLParser(limits: IngestLimits())
            parser.eventBufferSize = bufferSize
            let outcome = try parser.parse(stream: stream, sink: DuplicateSink())
            #expect(outcome.duplicate)
            #expect(stream.total < bytes.count / 20, "read \(stream.total) of \(bytes.count) bytes")
        }
    }

    @Test("A document broken after thousands of records fails with libxml2's message and line")
    func brokenLate() throws {
        var xml = Self.report(records: 3_000, longText: 16)
        xml.removeLast("</feedback>".count)
        xml += "<record><row></record></feedback>"
        let sink = TotalsSink()
        do {
            _ = try read(xml, bufferSize: 256, sink: sink)
            Issue.record("a broken document parsed")
        } catch let error as XMLSyntaxError {
            #expect(error.message.contains("not well-formed XML"))
            #expect(error.message.contains("at line"))
        }
        #expect(sink.reports.isEmpty)
    }

    @Test("A DOCTYPE or an entity reference is refused whatever the buffer size", arguments: [64, 128 * 1024])
    func refusals(bufferSize: Int) throws {
        let doctype = "<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY x \"y\">]><feedback>&x;</feedback>"
        #expect(throws: IngestError.self) { try read(doctype, bufferSize: bufferSize, sink: TotalsSink()) }
    }
}
