import DMARCCore

#if canImport(Glibc)
    import Glibc
#endif

/// One daily rollup row of a report (the domain is the report's), in readable form.
struct RollupKey: Equatable {
    var day: Int64
    var sourceIP: String
    var headerFrom: String
    var disposition: String
    var dkim: String
    var spf: String
}

/// Rollup keys as bytes whose order under `memcmp` is `daily_rollup`'s primary-key order (its
/// domain is the report's, the same for all): the day as 8 big-endian bytes with the sign bit
/// flipped, then each text field's UTF-8 bytes with NUL written as 00 01 and ended by 00 00 — so a
/// shorter field sorts first, as SQLite's BINARY collation has it. Sorting, merging and summing
/// rows then compares bytes, and the upsert binds text straight from them: no strings are made
/// or hashed per row.
enum RollupKeyCoding {
    static func append(day: Int64, to key: inout [UInt8]) {
        withUnsafeBytes(of: (UInt64(bitPattern: day) ^ (1 << 63)).bigEndian) { key.append(contentsOf: $0) }
    }

    static func append(field: String?, to key: inout [UInt8]) {
        var field = field ?? ""
        field.withUTF8 { bytes in
            if !bytes.contains(0) {
                key.append(contentsOf: bytes)
            } else {
                for b in bytes {
                    key.append(b)
                    if b == 0 { key.append(1) }
                }
            }
        }
        key.append(0)
        key.append(0)
    }

    static func encode(_ k: RollupKey) -> [UInt8] {
        var key: [UInt8] = []
        append(day: k.day, to: &key)
        for field in [k.sourceIP, k.headerFrom, k.disposition, k.dkim, k.spf] { append(field: field, to: &key) }
        return key
    }

    /// The day of an encoded key.
    static func day(_ key: UnsafeRawBufferPointer) -> Int64 {
        var raw: UInt64 = 0
        for i in 0..<8 { raw = raw << 8 | UInt64(key[i]) }
        return Int64(bitPattern: raw ^ (1 << 63))
    }

    /// Calls `body` with each of the five text fields of an encoded key, in order, as bytes
    /// valid during the call, and whether those bytes lie in `key` itself (they are unescaped into
    /// a copy only when the field holds a NUL).
    static func forEachField(
        _ key: UnsafeRawBufferPointer, _ body: (Int, UnsafeRawBufferPointer, _ inKey: Bool) throws -> Void
    ) rethrows {
        guard let base = key.baseAddress else { return }
        let end = key.count
        var i = 8
        for n in 0..<5 {
            let start = min(i, end)
            var escaped = false
            // The field ends at the first 00 00; a 00 01 is an escaped NUL.
            var stop = end
            while i < end, let zero = memchr(base + i, 0, end - i) {
                let at = base.distance(to: UnsafeRawPointer(zero))
                if at + 1 < end && key[at + 1] != 0 {
                    escaped = true
                    i = at + 2
                    continue
                }
                stop = at
                break
            }
            let raw = UnsafeRawBufferPointer(rebasing: key[start..<max(start, stop)])
            i = stop + 2
            if !escaped {
                try body(n, raw, true)
            } else {
                var plain: [UInt8] = []
                var j = 0
                while j < raw.count {
                    plain.append(raw[j])
                    j += raw[j] == 0 ? 2 : 1
                }
                try plain.withUnsafeBytes { try body(n, $0, false) }
            }
        }
    }

    static func decode(_ key: UnsafeRawBufferPointer) -> RollupKey {
        var fields: [String] = []
        forEachField(key) { _, bytes, _ in fields.append(String(decoding: bytes, as: UTF8.self)) }
        return RollupKey(
            day: day(key), sourceIP: fields[0], headerFrom: fields[1], disposition: fields[2], dkim: fields[3],
            spf: fields[4])
    }

    /// `memcmp` order, the shorter first when one is a prefix of the other.
    @inline(__always)
    static func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = min(a.count, b.count)
        let c = n == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, n)
        return c != 0 ? c < 0 : a.count < b.count
    }

    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }
}

/// Rollup rows packed in one buffer, each `[key length: UInt32][key][messages: Int64]` in native
/// byte order (they never leave the process), usually in key order.
struct RollupRows: Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0
    /// Where the last row's key is in `bytes`.
    private var lastKey = 0..<0

    init() {}

    /// Rows from readable keys (tests, and anything not on the import path), in the order given.
    init(_ entries: [(key: RollupKey, value: Int64)]) {
        for (key, value) in entries {
            RollupKeyCoding.encode(key).withUnsafeBytes { append(key: $0, value: value) }
        }
    }

    var isEmpty: Bool { count == 0 }

    mutating func reserve(_ bytes: Int) { self.bytes.reserveCapacity(bytes) }

    mutating func append(key: UnsafeRawBufferPointer, value: Int64) {
        withUnsafeBytes(of: UInt32(key.count)) { bytes.append(contentsOf: $0) }
        lastKey = bytes.count..<(bytes.count + key.count)
        bytes.append(contentsOf: key)
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        count += 1
    }

    /// Adds to the value of the last row (saturating: a hostile report cannot wrap a sum).
    mutating func addToLast(_ value: Int64) {
        let at = bytes.count - 8
        bytes.withUnsafeMutableBytes { b in
            let old = b.loadUnaligned(fromByteOffset: at, as: Int64.self)
            let (sum, overflow) = old.addingReportingOverflow(value)
            b.storeBytes(of: overflow ? Int64.max : sum, toByteOffset: at, as: Int64.self)
        }
    }

    /// Whether the last row's key is `key`.
    func lastKeyEquals(_ key: UnsafeRawBufferPointer) -> Bool {
        guard count > 0 else { return false }
        return bytes.withUnsafeBytes { RollupKeyCoding.equal(UnsafeRawBufferPointer(rebasing: $0[lastKey]), key) }
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        count = 0
        lastKey = 0..<0
    }

    /// Calls `body` with each row's key bytes and value, in order.
    func forEach(_ body: (UnsafeRawBufferPointer, Int64) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { b in
            var i = 0
            while i < b.count {
                let n = Int(b.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                let key = UnsafeRawBufferPointer(rebasing: b[(i + 4)..<(i + 4 + n)])
                try body(key, b.loadUnaligned(fromByteOffset: i + 4 + n, as: Int64.self))
                i += 4 + n + 8
            }
        }
    }

    /// The rows in readable form.
    func decoded() -> [(key: RollupKey, value: Int64)] {
        var out: [(key: RollupKey, value: Int64)] = []
        forEach { key, value in out.append((RollupKeyCoding.decode(key), value)) }
        return out
    }
}

/// Sums of rollup rows by encoded key: an open-addressing hash table over one byte buffer of
/// entries laid out as in `RollupRows`, so a row costs a hash of its bytes and, when new, one
/// append — no string hashing, no dictionary of structs.
struct RollupTable {
    private var entries: [UInt8] = []
    /// Offsets of the entries in `entries`, in insertion order.
    private var offsets: [Int] = []
    /// Hash slots: an entry's index in `offsets` plus one, or 0 when empty.
    private var slots: [Int] = Array(repeating: 0, count: 1024)
    private var hashes: [UInt64] = []

    var count: Int { offsets.count }

    private static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        // FNV-1a, 64-bit.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    mutating func add(key: UnsafeRawBufferPointer, value: Int64) {
        let h = Self.hash(key)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 {
            let index = slots[i] - 1
            if hashes[index] == h {
                let at = offsets[index]
                let found = entries.withUnsafeMutableBytes { e -> Bool in
                    let n = Int(e.loadUnaligned(fromByteOffset: at, as: UInt32.self))
                    guard RollupKeyCoding.equal(UnsafeRawBufferPointer(rebasing: e[(at + 4)..<(at + 4 + n)]), key)
                    else { return false }
                    let old = e.loadUnaligned(fromByteOffset: at + 4 + n, as: Int64.self)
                    let (sum, overflow) = old.addingReportingOverflow(value)
                    e.storeBytes(of: overflow ? Int64.max : sum, toByteOffset: at + 4 + n, as: Int64.self)
                    return true
                }
                if found { return }
            }
            i = (i + 1) & mask
        }
        offsets.append(entries.count)
        hashes.append(h)
        withUnsafeBytes(of: UInt32(key.count)) { entries.append(contentsOf: $0) }
        entries.append(contentsOf: key)
        withUnsafeBytes(of: value) { entries.append(contentsOf: $0) }
        slots[i] = offsets.count
        if offsets.count * 2 > slots.count { grow() }
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (index, h) in hashes.enumerated() {
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = index + 1
        }
    }

    /// The sums in key order, and an empty table (keeping its memory).
    mutating func takeSorted() -> RollupRows {
        // Sorted by the key's first 16 bytes read as two big-endian integers (the day, then the
        // start of the source address, which tells most keys apart), the rest compared only on a tie.
        // Every key has at least 18 bytes (the day and five empty fields), so both words exist.
        struct Entry {
            var day: UInt64
            var head: UInt64
            var at: Int
        }
        var order: [Entry] = []
        order.reserveCapacity(offsets.count)
        entries.withUnsafeBytes { e in
            for at in offsets {
                order.append(
                    Entry(
                        day: UInt64(bigEndian: e.loadUnaligned(fromByteOffset: at + 4, as: UInt64.self)),
                        head: UInt64(bigEndian: e.loadUnaligned(fromByteOffset: at + 12, as: UInt64.self)), at: at))
            }
            func tail(_ at: Int) -> UnsafeRawBufferPointer {
                let n = Int(e.loadUnaligned(fromByteOffset: at, as: UInt32.self))
                return UnsafeRawBufferPointer(rebasing: e[(at + 4 + 16)..<(at + 4 + n)])
            }
            order.sort { a, b in
                if a.day != b.day { return a.day < b.day }
                if a.head != b.head { return a.head < b.head }
                return RollupKeyCoding.precedes(tail(a.at), tail(b.at))
            }
        }
        var rows = RollupRows()
        rows.reserve(entries.count)
        entries.withUnsafeBytes { e in
            for at in order.lazy.map(\.at) {
                let n = Int(e.loadUnaligned(fromByteOffset: at, as: UInt32.self))
                rows.append(
                    key: UnsafeRawBufferPointer(rebasing: e[(at + 4)..<(at + 4 + n)]),
                    value: e.loadUnaligned(fromByteOffset: at + 4 + n, as: Int64.self))
            }
        }
        entries.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = 0 }
        return rows
    }
}
