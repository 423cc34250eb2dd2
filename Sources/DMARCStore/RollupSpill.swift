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

    /// Appends one run, sorted by `RollupKey.precedes`.
    func write(run entries: [(key: RollupKey, value: Int64)]) throws {
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * 48)
        for (key, value) in entries {
            Self.append(key.day, to: &out)
            Self.append(value, to: &out)
            for field in [key.sourceIP, key.headerFrom, key.disposition, key.dkim, key.spf] {
                let bytes = field.utf8
                Self.append(UInt32(bytes.count), to: &out)
                out.append(contentsOf: bytes)
            }
        }
        var written = 0
        while written < out.count {
            let n = out.withUnsafeBytes {
                pwrite(descriptor, $0.baseAddress! + written, $0.count - written, off_t(end) + off_t(written))
            }
            guard n > 0 else {
                throw SQLiteError(code: 1, message: "cannot write the rollup's temporary file (disk full?)", sql: nil)
            }
            written += n
        }
        runs.append((end, Int64(out.count)))
        end += Int64(out.count)
    }

    /// Merges every run (each sorted), summing equal keys, and hands the result to `emit` in
    /// sorted chunks of at most `chunk` entries.
    func merge(chunk: Int, emit: ([(key: RollupKey, value: Int64)]) throws -> Void) throws {
        // Read buffers share a budget of 8 MiB, so memory does not grow with the number of runs.
        let bufferSize = max(16 * 1024, min(256 * 1024, 8 * 1024 * 1024 / max(runs.count, 1)))
        let readers = runs.map {
            RunReader(descriptor: descriptor, offset: $0.offset, length: $0.length, bufferSize: bufferSize)
        }
        // A binary min-heap of (next entry, run) by key.
        var heap: [(entry: (key: RollupKey, value: Int64), run: Int)] = []
        func less(_ a: Int, _ b: Int) -> Bool { heap[a].entry.key.precedes(heap[b].entry.key) }
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
        for (run, reader) in readers.enumerated() {
            if let entry = try reader.next() { heap.append((entry, run)) }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        var out: [(key: RollupKey, value: Int64)] = []
        out.reserveCapacity(chunk)
        while let top = heap.first {
            if let last = out.last, last.key == top.entry.key {
                let (sum, overflow) = last.value.addingReportingOverflow(top.entry.value)
                out[out.count - 1].value = overflow ? Int64.max : sum
            } else {
                if out.count >= chunk {
                    try emit(out)
                    out.removeAll(keepingCapacity: true)
                }
                out.append(top.entry)
            }
            if let next = try readers[top.run].next() {
                heap[0] = (next, top.run)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
        if !out.isEmpty { try emit(out) }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }
}

/// Reads one run back through a buffer of its own.
private final class RunReader {
    private let descriptor: Int32
    private var offset: Int64
    private var remaining: Int64
    private var buffer: [UInt8] = []
    private var position = 0

    private let bufferSize: Int

    init(descriptor: Int32, offset: Int64, length: Int64, bufferSize: Int) {
        self.descriptor = descriptor
        self.offset = offset
        self.remaining = length
        self.bufferSize = bufferSize
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

    private func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
        try ensure(MemoryLayout<T>.size)
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { dst in
            buffer.withUnsafeBytes {
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[position..<position + MemoryLayout<T>.size]))
            }
        }
        position += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    private func string() throws -> String {
        let count = Int(try integer(UInt32.self))
        try ensure(count)
        let s = String(decoding: buffer[position..<position + count], as: UTF8.self)
        position += count
        return s
    }

    func next() throws -> (key: RollupKey, value: Int64)? {
        if position == buffer.count && remaining == 0 { return nil }
        let day = try integer(Int64.self)
        let value = try integer(Int64.self)
        let key = RollupKey(
            day: day, sourceIP: try string(), headerFrom: try string(), disposition: try string(), dkim: try string(),
            spf: try string())
        return (key, value)
    }
}
