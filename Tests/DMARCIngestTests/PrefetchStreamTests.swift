import DMARCCore
import Testing

@testable import DMARCIngest

@Suite("Prefetching reader")
struct PrefetchStreamTests {
    static let bytes: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }

    @Test("Delivers every byte in order, whatever the buffer sizes", arguments: [1, 100, 4096, 1 << 20])
    func inOrder(readSize: Int) throws {
        // Small prefetch buffers so the ring wraps many times.
        let stream = PrefetchStream(UnevenStream(Self.bytes), buffers: 3, bufferSize: 1000)
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: readSize)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try stream.read(into: $0) }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        #expect(out == Self.bytes)
        // The end stays the end.
        #expect(try chunk.withUnsafeMutableBytes { try stream.read(into: $0) } == 0)
    }

    @Test("An error of the source arrives after the bytes read before it", arguments: [0, 999, 1000, 123_457])
    func errorInPlace(failAt: Int) throws {
        let stream = PrefetchStream(UnevenStream(Self.bytes, failAt: failAt), buffers: 2, bufferSize: 1000)
        var out: [UInt8] = []
        #expect(throws: UnevenStream.Broken.self) {
            var chunk = [UInt8](repeating: 0, count: 777)
            while true {
                let n = try chunk.withUnsafeMutableBytes { try stream.read(into: $0) }
                if n == 0 { break }
                out.append(contentsOf: chunk[0..<n])
            }
        }
        #expect(out == Array(Self.bytes[0..<failAt]))
    }

    @Test("A reader that stops early lets the prefetching thread go")
    func abandoned() throws {
        for _ in 0..<50 {
            let stream = PrefetchStream(UnevenStream(Self.bytes), buffers: 2, bufferSize: 512)
            var chunk = [UInt8](repeating: 0, count: 10)
            _ = try chunk.withUnsafeMutableBytes { try stream.read(into: $0) }
        }
        // Nothing to assert beyond not hanging or crashing: each abandoned stream's thread ends
        // at its next wait. A last full read shows the machinery still works afterwards.
        let stream = PrefetchStream(UnevenStream(Self.bytes), buffers: 2, bufferSize: 512)
        #expect(try stream.readAll(limit: 1 << 20, what: "test") == Self.bytes)
    }
}
