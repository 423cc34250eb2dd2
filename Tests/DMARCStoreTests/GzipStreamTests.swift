import DMARCCore
import Testing

@testable import DMARCStore

@Suite("Gzip decompression: members, trailing bytes, corruption")
struct GzipStreamTests {
    static let text = Array(String(repeating: "<feedback>report</feedback>\n", count: 200).utf8)

    func member(_ bytes: [UInt8]) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try gzipMember($0) }
    }

    func inflate(_ bytes: [UInt8]) throws -> (out: [UInt8], stream: GzipInflateStream) {
        let stream = try GzipInflateStream(source: MemoryStream(bytes))
        return (try stream.readAll(limit: 1 << 20, what: "test"), stream)
    }

    @Test("Two members are read as one stream, with no warning")
    func twoMembers() throws {
        let (out, stream) = try inflate(try member(Self.text) + member(Self.text))
        #expect(out == Self.text + Self.text)
        #expect(stream.inputWarnings.isEmpty)
    }

    @Test(
        "Bytes after the last member are ignored and counted, also when they begin like a member",
        arguments: [
            Array("\r\n".utf8), Array("\r\nGARBAGE\0".utf8), [0x1F, 0x8B], [0x1F, 0x8B] + Array("junk".utf8),
            [0x1F, 0x8B, 0x08, 0x00, 0x00],
        ])
    func trailing(_ tail: [UInt8]) throws {
        let (out, stream) = try inflate(try member(Self.text) + tail)
        #expect(out == Self.text)
        #expect(stream.trailingBytes == tail.count)
        #expect(stream.inputWarnings.map(\.message) == ["\(tail.count) byte(s) after the gzip data ignored"])
    }

    @Test("A second member cut after some of its data is a truncated file, not trailing bytes")
    func truncatedSecondMember() throws {
        let second = try member(Self.text)
        #expect(throws: CompressionError.self) { try inflate(try member(Self.text) + second.prefix(second.count - 10)) }
    }

    @Test("Corrupt data in the first member is an error")
    func corruptFirst() throws {
        var bytes = try member(Self.text)
        bytes[12] ^= 0xFF
        bytes[13] ^= 0xFF
        #expect(throws: CompressionError.self) { try inflate(bytes) }
    }
}
