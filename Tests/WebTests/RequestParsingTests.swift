import Testing

@testable import DMARCWeb

@Suite("Web: request parsing")
struct RequestParsingTests {
    static func body(_ text: String) -> [UInt8] { Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8) }

    @Test("multipart parts are slices of the body, with their names, file names and exact bytes")
    func parts() throws {
        let body = Self.body(
            """
            --b0undary
            Content-Disposition: form-data; name="csrf"

            token-value
            --b0undary
            Content-Disposition: form-data; name="file"; filename="r.xml"
            Content-Type: text/xml

            <feedback>
            two lines</feedback>
            --b0undary--

            """)
        let parts = FormDecoding.multipart(body, boundary: "b0undary")
        #expect(parts.count == 2)
        #expect(parts[0].name == "csrf")
        #expect(parts[0].filename == nil)
        #expect(String(decoding: parts[0].data, as: UTF8.self) == "token-value")
        #expect(parts[1].filename == "r.xml")
        #expect(parts[1].contentType == "text/xml")
        #expect(String(decoding: parts[1].data, as: UTF8.self) == "<feedback>\r\ntwo lines</feedback>")
        // A slice into the body: its indices are the body's.
        let start = try #require(parts.last?.data.startIndex)
        #expect(Array(body[start..<(start + 10)]) == Array("<feedback>".utf8))
    }

    @Test("a preamble before the first delimiter is skipped; a part without headers' end is dropped")
    func preambleAndMalformed() {
        let body = Self.body(
            """
            This is the preamble.
            --x
            Content-Disposition: form-data; name="a"

            1
            --x
            no blank line after these headers
            --x
            Content-Disposition: form-data; name="b"

            2
            --x--
            """)
        let parts = FormDecoding.multipart(body, boundary: "x")
        #expect(parts.map(\.name) == ["a", "b"])
        #expect(parts.map { String(decoding: $0.data, as: UTF8.self) } == ["1", "2"])
        #expect(FormDecoding.multipart(Self.body("--x\nno end"), boundary: "x").isEmpty)
        #expect(FormDecoding.multipart([], boundary: "x").isEmpty)
    }
}
