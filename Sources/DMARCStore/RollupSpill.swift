#if canImport(Glibc)
    import Glibc
#endif

/// Sorted runs of a large report's rollup sums, kept in an unlinked temporary file and merged
/// into one sorted sequence at the end: an external merge sort.
///
/// A report with a million distinct sources has a million rollup rows. Upserting them in many
/// small sorted batches sweeps the whole growing B-tree once per batch, and once the tree is
/// larger than the page cache every sweep reads and writes most of its pages again. One sorted
/// pass at the end writes each page once, with memory bounded by the run size.
final class RollupSpill {
    private let descriptor: Int32
    /// Offset and byte length of each run.
    private var runs: [(offset: Int64, length: Int64)] = []
    private var end: Int64 = 0

    init() throws {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(directory)/dmarcwatch-rollup-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw SQLiteError(code: 1, message: "cannot create a temporary file for the rollup", sql: nil)
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    var isEmpty: Bool { runs.isEmpty }

    /// Appends one run, in key order.
    func write(run rows: RollupRows) throws {
        let written = try rows.bytes.withUnsafeBytes { out -> Int in
            var written = 0
            while written < out.count {
                let n = pwrite(descriptor, out.baseAddress! + written, out.count - written, off_t(end) + off_t(written))
                guard n > 0 else {
                    throw SQLiteError(
                        code: 1, message: "cannot write the rollup's temporary file (disk full?)", sql: nil)
                }
                written += n
            }
            return written
        }
        runs.append((end, Int64(written)))
        end += Int64(written)
    }

    /// Merges every run (each sorted), summing equal keys, and hands the result to `emit` in
    /// sorted chunks of at most `chunk` rows.
    func merge(chunk: Int, emit: (RollupRows) throws -> Void) throws {
        // Read buffers share a budget of 8 MiB, so memory does not grow with the number of runs.
        let bufferSize = max(16 * 1024, min(256 * 1024, 8 * 1024 * 1024 / max(runs.count, 1)))
        var readers: [RunReader] = []
        for run in runs {
            let reader = RunReader(
                descriptor: descriptor, offset: run.offset, length: run.length, bufferSize: bufferSize)
            if try reader.advance() { readers.append(reader) }
        }
        // A binary min-heap of readers by their current key.
        var heap = readers
        func less(_ a: Int, _ b: Int) -> Bool {
            heap[a].withKey { x in heap[b].withKey { y in RollupKeyCoding.precedes(x, y) } }
        }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < heap.count && less(l, m) { m = l }
                if r < heap.count && less(r, m) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        var out = RollupRows()
        out.reserve(chunk * 64)
        while let top = heap.first {
            let value = top.value
            let merged = top.withKey { key in
                if out.lastKeyEquals(key) { return true }
                return false
            }
            if merged {
                out.addToLast(value)
            } else {
                if out.count >= chunk {
                    try emit(out)
                    out.removeAll()
                }
                top.withKey { out.append(key: $0, value: value) }
            }
            if try !top.advance() {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
        if !out.isEmpty { try emit(out) }
    }
}

/// Reads one run back through a buffer of its own; `advance` moves to the next row, whose key
/// stays in the buffer until the following `advance`.
private final class RunReader {
    private let descriptor: Int32
    private var offset: Int64
    private var remaining: Int64
    private var buffer: [UInt8] = []
    private var position = 0
    private var keyRange = 0..<0
    private(set) var value: Int64 = 0
    private let bufferSize: Int

    init(descriptor: Int32, offset: Int64, length: Int64, bufferSize: Int) {
        self.descriptor = descriptor
        self.offset = offset
        self.remaining = length
        self.bufferSize = bufferSize
    }

    func withKey<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[keyRange])) }
    }

    /// Makes at least `count` bytes available from `position`.
    private func ensure(_ count: Int) throws {
        if buffer.count - position >= count { return }
        buffer.removeSubrange(0..<position)
        position = 0
        let want = Int(min(remaining, Int64(max(count, bufferSize))))
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: want))
        var filled = 0
        while filled < want {
            let n = buffer.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress! + start + filled, want - filled, off_t(offset) + off_t(filled))
            }
            guard n > 0 else {
                throw SQLiteError(code: 1, message: "cannot read the rollup's temporary file", sql: nil)
            }
            filled += n
        }
        offset += Int64(want)
        remaining -= Int64(want)
        guard buffer.count - position >= count else {
            throw SQLiteError(code: 1, message: "the rollup's temporary file is truncated", sql: nil)
        }
    }

    /// Moves to the next row; `false` at the end of the run.
    func advance() throws -> Bool {
        if position == buffer.count && remaining == 0 { return false }
        try ensure(4)
        let n = buffer.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: position, as: UInt32.self)) }
        try ensure(4 + n + 8)
        keyRange = (position + 4)..<(position + 4 + n)
        value = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position + 4 + n, as: Int64.self) }
        position += 4 + n + 8
        return true
    }
}
