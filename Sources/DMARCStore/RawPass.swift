internal import CCrypto
internal import CZstd
import DMARCCore
import Dispatch
import Synchronization

/// The work of storing a document's raw bytes that does not need the reading thread: each batch
/// of chunks is hashed (SHA-256, in order, on a serial queue) and compressed (a task per chunk on
/// the global queue) while the reading thread fills the next batch. Two sets of chunk buffers take
/// turns, allocated once per document and never zeroed, so a large document costs no allocation
/// or page fault per chunk.
final class RawPass {
    static let chunkSize = ReportStore.rawChunkSize
    static let chunksPerBatch = 4

    private let codec: ReportStore.StoredCodec
    private let hasher = SHA256Hasher()
    private let hashQueue = DispatchQueue(label: "dmarcwatch.raw-hash")
    /// The two sets of buffers; `filling` is the one the reader fills next.
    private var sets: [[ChunkBuffer]] = [[], []]
    private var filling = 0
    /// The batch being hashed and compressed, if any.
    private var inFlight: Batch?

    init(codec: ReportStore.StoredCodec) {
        self.codec = codec
    }

    deinit {
        inFlight?.group.wait()
        for set in sets { for buffer in set { buffer.deallocate() } }
    }

    /// Reads up to one batch from `stream` into the free set, starts hashing and compressing it,
    /// and returns the compressed chunks of the batch before it (in order) to be written, and
    /// whether the stream is at its end. Call until it says so, then `finish`.
    func next(from stream: ByteStream) throws -> (previous: [[UInt8]], bytes: Int, atEnd: Bool) {
        var chunks: [ChunkBuffer] = []
        var bytes = 0
        var atEnd = false
        while chunks.count < Self.chunksPerBatch {
            let index = chunks.count
            if sets[filling].count == index { sets[filling].append(ChunkBuffer(capacity: Self.chunkSize)) }
            var chunk = sets[filling][index]
            chunk.count = try Self.fill(chunk.storage, from: stream)
            if chunk.count > 0 {
                chunks.append(chunk)
                bytes += chunk.count
            }
            if chunk.count < Self.chunkSize {
                atEnd = true
                break
            }
        }
        let previous = try inFlight?.members() ?? []
        inFlight = Batch(chunks, codec: codec, hasher: hasher, hashQueue: hashQueue)
        filling ^= 1
        return (previous, bytes, atEnd)
    }

    /// The compressed chunks of the last batch and the hex SHA-256 of everything read.
    func finish() throws -> (last: [[UInt8]], sha256: String) {
        let last = try inFlight?.members() ?? []
        inFlight = nil
        return (last, hashQueue.sync { hasher.hexDigest() })
    }

    /// Reads until `buffer` is full or the stream ends.
    private static func fill(_ buffer: UnsafeMutableRawBufferPointer, from stream: ByteStream) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// One batch's tasks: a hash of all its chunks and one compression each.
    private final class Batch: Sendable {
        let group = DispatchGroup()
        private let slots: Mutex<[Result<[UInt8], Error>?]>

        init(_ chunks: [ChunkBuffer], codec: ReportStore.StoredCodec, hasher: SHA256Hasher, hashQueue: DispatchQueue) {
            slots = Mutex(Array(repeating: nil, count: chunks.count))
            hashQueue.async(group: group) {
                for chunk in chunks { hasher.update(chunk.bytes) }
            }
            for (i, chunk) in chunks.enumerated() {
                DispatchQueue.global().async(group: group) { [self] in
                    let outcome = Result { try codec.compress(chunk.bytes) }
                    slots.withLock { $0[i] = outcome }
                }
            }
        }

        /// The compressed chunks, in order, once the batch is hashed and compressed (after
        /// which its buffers may be filled again).
        func members() throws -> [[UInt8]] {
            group.wait()
            return try slots.withLock { slots in try slots.map { try $0!.get() } }
        }
    }
}

@available(*, unavailable)
extension RawPass: Sendable {}

/// A chunk buffer handed to the hashing and compressing tasks. `@unchecked Sendable` is sound
/// because of how `RawPass` uses it: the reader does not touch a set of buffers again until the
/// batch that used it has finished (`Batch.members` waits for every task).
private struct ChunkBuffer: @unchecked Sendable {
    let storage: UnsafeMutableRawBufferPointer
    var count = 0

    init(capacity: Int) {
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[0..<count]) }

    func deallocate() { storage.deallocate() }
}

/// Incremental SHA-256 through OpenSSL's EVP interface (which uses the CPU's SHA instructions).
/// See https://www.openssl.org/docs/man3.0/man3/EVP_DigestInit.html
///
/// `@unchecked Sendable`: `RawPass` only uses it from its serial hash queue.
final class SHA256Hasher: @unchecked Sendable {
    private let context: OpaquePointer

    init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        if !bytes.isEmpty { EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) }
    }

    /// The lower-case hex digest of everything so far; call once, at the end.
    func hexDigest() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest.prefix(Int(length)) {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// zstd compression contexts kept for reuse: making one per chunk allocates (and faults in) its
/// work space every time.
enum ZstdContextPool {
    /// Pointers to `ZSTD_CCtx`, as integers so the pool is `Sendable`.
    private static let idle = Mutex<[Int]>([])
    private static let limit = 8

    static func withContext<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        let context: OpaquePointer
        if let reused = idle.withLock({ $0.popLast() }) {
            context = OpaquePointer(bitPattern: reused)!
        } else if let made = ZSTD_createCCtx() {
            context = made
        } else {
            throw CompressionError(message: "cannot start zstd compression")
        }
        defer {
            let kept = idle.withLock { idle in
                guard idle.count < limit else { return false }
                idle.append(Int(bitPattern: context))
                return true
            }
            if !kept { ZSTD_freeCCtx(context) }
        }
        return try body(context)
    }
}
