import DMARCCore

#if canImport(Glibc)
    import Glibc
#endif

/// Drops the line breaks and indentation between one tag's `>` and the next tag's `<` as the
/// bytes are read, before libxml2 sees them.
///
/// Reports are pretty-printed, and libxml2 scans every indenting byte and checks every run
/// between two tags for being blank: on a typical report about a sixth of its work, which is most
/// of a parse. Such a run is never data. It cannot be inside a tag (no `<` can be), nor inside an
/// attribute value (nor can a `<`); as text it either ends a value at an end tag, where the parser
/// trims it, or comes before a child element, where the parser starts a new text. It is kept
/// before `<?`, after which an element's text goes on, and before a `<` that is the last byte
/// read; and nothing is dropped from the first read holding a `!` on (CDATA, a comment or a
/// declaration may start there), so CDATA is never touched.
///
/// The document stays well-formed exactly when it was. Only libxml2's line numbers change, so an
/// error is reported from a second parse without this.
struct Indentation {
    /// Off for good once a `!` has been read.
    private(set) var enabled = true
    /// A run after a `>` at the end of a read, until the next read shows what follows it.
    private var held: [UInt8] = []
    /// The last byte passed on.
    private var previous: UInt8 = 0
    /// Longer runs are passed on as they are: holding them would cost memory and save little.
    static let holdLimit = 256

    /// Reads from `source` into `buffer` and drops the runs between tags in place. Returns the
    /// bytes for libxml2 (0 only at the end of the source) and the bytes read from the source
    /// (for the document size limit).
    mutating func read(from source: ByteStream, into buffer: UnsafeMutableRawBufferPointer) throws -> (
        count: Int, read: Int
    ) {
        var read = 0
        while true {
            let kept = held.count
            if kept > 0 && kept >= buffer.count {
                // A read smaller than the run (libxml2 asks for 4 bytes first): part of it, as it is.
                let n = buffer.count
                held.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
                held.removeFirst(n)
                previous = buffer[n - 1]
                return (n, read)
            }
            if kept > 0 {
                held.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: kept) }
                held.removeAll(keepingCapacity: true)
            }
            let got = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[kept...]))
            read += got
            let n = kept + got
            // At the end, a run still held after the last tag is passed on as it was.
            if got == 0 { return (n, read) }
            if enabled, memchr(buffer.baseAddress! + kept, 0x21, got) != nil { enabled = false }
            if !enabled || buffer.count < 4 * Self.holdLimit {
                previous = buffer[n - 1]
                return (n, read)
            }
            let out = strip(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n)
            // A read of nothing but a held run: read on, since 0 would mean the end.
            if out > 0 { return (out, read) }
        }
    }

    /// Drops the runs in `b[0..<n]` in place; returns how many bytes remain.
    private mutating func strip(_ b: UnsafeMutablePointer<UInt8>, count n: Int) -> Int {
        let raw = UnsafeRawPointer(b)
        var r = 0  // first byte not yet passed on
        var w = 0  // where it goes
        var scan = 0
        while scan < n, let found = memchr(b + scan, 0x0A, n - scan) {
            let newline = b.distance(to: found.assumingMemoryBound(to: UInt8.self))
            // The indentation after the line break, eight spaces at a time where it can.
            var hi = newline + 1
            while hi + 8 <= n, raw.loadUnaligned(fromByteOffset: hi, as: UInt64.self) == Self.eightSpaces { hi += 8 }
            while hi < n, ElementText.isSpace(b[hi]) { hi += 1 }
            scan = hi
            // A run reaching the end of the read is held when it follows a '>' (what comes next
            // is not known yet); otherwise only a run before a '<' (not "<?") may go.
            if hi < n {
                guard b[hi] == 0x3C, hi + 1 < n, b[hi + 1] != 0x3F else { continue }
            }
            var lo = newline
            while lo > r, ElementText.isSpace(b[lo - 1]) { lo -= 1 }
            // What came before the run: a byte of this read, else the last one passed on (a held
            // run always follows a '>').
            let before = lo > r ? b[lo - 1] : (w > 0 ? b[w - 1] : previous)
            guard before == 0x3E else { continue }
            if hi == n && n - lo > Self.holdLimit { break }
            if w != r { (b + w).update(from: b + r, count: lo - r) }
            w += lo - r
            r = hi
            if hi == n {
                held.append(contentsOf: UnsafeBufferPointer(start: b + lo, count: n - lo))
                previous = 0x3E
                return w
            }
        }
        if w != r { (b + w).update(from: b + r, count: n - r) }
        w += n - r
        if w > 0 { previous = b[w - 1] }
        return w
    }

    private static let eightSpaces: UInt64 = 0x2020_2020_2020_2020
}
