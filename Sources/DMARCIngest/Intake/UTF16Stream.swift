import DMARCCore

/// Turns a UTF-16 document with a byte-order mark into UTF-8 as it is read, and makes its XML
/// declaration say so, so that the parser, its indentation pass and the repairs only ever see
/// UTF-8. An unpaired surrogate becomes U+FFFD.
final class UTF16Stream: ByteStream {
    private let source: ByteStream
    private var bigEndian = false
    private var started = false
    private var ended = false
    private var chunk = [UInt8](repeating: 0, count: 65_536)
    /// A byte of a code unit cut by the end of the last read.
    private var oddByte: UInt8?
    private var highSurrogate: UInt16?
    private var output: [UInt8] = []
    private var outputStart = 0

    init(source: ByteStream) { self.source = source }

    /// Whether `head` starts with a UTF-16 byte-order mark.
    static func hasByteOrderMark(_ head: [UInt8]) -> Bool {
        head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while outputStart == output.count {
            if ended { return 0 }
            output.removeAll(keepingCapacity: true)
            outputStart = 0
            try fill()
        }
        let n = min(buffer.count, output.count - outputStart)
        output.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + outputStart, byteCount: n) }
        outputStart += n
        return n
    }

    var inputWarnings: [ParseWarning] { source.inputWarnings }

    private func fill() throws {
        var got = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
        var bytes = (oddByte.map { [$0] } ?? []) + chunk[0..<got]
        oddByte = nil
        let first = !started
        if first {
            // The mark, and enough of the document for its XML declaration.
            while got > 0 && bytes.count < 1_024 {
                got = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
                bytes += chunk[0..<got]
            }
            started = true
            bigEndian = bytes.starts(with: [0xFE, 0xFF])
            if Self.hasByteOrderMark(bytes) { bytes.removeFirst(2) }
        }
        decode(bytes)
        if first && output.starts(with: Array("<?xml".utf8)) { Self.declareUTF8(&output) }
        if got == 0 {
            if oddByte != nil || highSurrogate != nil { append(scalar: 0xFFFD) }
            oddByte = nil
            highSurrogate = nil
            ended = true
        }
    }

    private func decode(_ bytes: [UInt8]) {
        var i = 0
        while i + 1 < bytes.count {
            let high = UInt16(bytes[bigEndian ? i : i + 1])
            let low = UInt16(bytes[bigEndian ? i + 1 : i])
            let unit = high << 8 | low
            i += 2
            if let high = highSurrogate {
                highSurrogate = nil
                if unit >= 0xDC00 && unit <= 0xDFFF {
                    append(scalar: 0x10000 + (UInt32(high - 0xD800) << 10) + UInt32(unit - 0xDC00))
                    continue
                }
                append(scalar: 0xFFFD)
            }
            switch unit {
            case 0xD800...0xDBFF: highSurrogate = unit
            case 0xDC00...0xDFFF: append(scalar: 0xFFFD)
            default: append(scalar: UInt32(unit))
            }
        }
        if i < bytes.count { oddByte = bytes[i] }
    }

    private func append(scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            output.append(UInt8(scalar))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | scalar >> 6))
            output.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | scalar >> 12))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        default:
            output.append(UInt8(0xF0 | scalar >> 18))
            output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Replaces the value of `encoding` in the XML declaration at the start of `bytes` by UTF-8.
    static func declareUTF8(_ bytes: inout [UInt8]) {
        guard let close = bytes.prefix(1_024).firstRange(of: Array("?>".utf8)),
            let enc = bytes[..<close.lowerBound].firstRange(of: Array("encoding".utf8))
        else { return }
        guard let open = bytes[enc.upperBound..<close.lowerBound].firstIndex(where: { $0 == 0x22 || $0 == 0x27 }),
            let end = bytes[(open + 1)..<close.lowerBound].firstIndex(of: bytes[open])
        else { return }
        bytes.replaceSubrange((open + 1)..<end, with: Array("UTF-8".utf8))
    }
}
