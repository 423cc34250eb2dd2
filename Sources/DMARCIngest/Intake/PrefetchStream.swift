import DMARCCore
import Dispatch
import Synchronization

/// Reads another stream on a thread of its own, a few buffers ahead of the consumer, so that a
/// decompressor (gzip, a zip entry) works on one core while the XML parser works on the other.
///
/// The source is read only by the prefetching thread once the stream exists; errors it throws
/// reach the consumer at the position where they happened. Memory is bounded by
/// `buffers × bufferSize`.
final class PrefetchStream: ByteStream {
    private let ring: PrefetchRing
    /// The buffer being consumed and how far into it.
    private var current: PrefetchRing.Slot?
    private var offset = 0
    private var ended = false

    init(_ source: ByteStream, buffers: Int = 4, bufferSize: Int = 256 * 1024) {
        ring = PrefetchRing(buffers: buffers, bufferSize: bufferSize)
        let ring = self.ring
        let box = SourceBox(source)
        DispatchQueue.global().async { ring.produce(from: box.source) }
    }

    deinit {
        ring.cancel()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while !ended {
            if let slot = current {
                let n = min(buffer.count, slot.count - offset)
                if n > 0 {
                    buffer.baseAddress!.copyMemory(
                        from: ring.storage[slot.index].baseAddress! + offset, byteCount: n)
                    offset += n
                    return n
                }
                current = nil
                ring.release()
            }
            let slot = ring.take()
            if let error = slot.error {
                ended = true
                throw error
            }
            if slot.count == 0 {
                ended = true
                return 0
            }
            current = slot
            offset = 0
        }
        return 0
    }
}

/// Moves the source to the prefetching thread.
///
/// `@unchecked Sendable` is sound because the stream that makes the box never touches the
/// source again: from then on only the prefetching thread reads it.
private struct SourceBox: @unchecked Sendable {
    let source: ByteStream
    init(_ source: ByteStream) { self.source = source }
}

/// The buffers shared by the prefetching thread (the producer) and the reader (the consumer):
/// filled in order, taken in order, one semaphore for free buffers and one for full ones.
private final class PrefetchRing: @unchecked Sendable {
    // `@unchecked Sendable` is sound: a buffer in `storage` is written only by the producer
    // between `free.wait()` and `full.signal()`, and read only by the consumer between
    // `full.wait()` and `free.signal()`; the semaphores order the two. `slots` and `cancelled`
    // are behind the mutex.
    struct Slot {
        let index: Int
        let count: Int
        let error: Error?
    }

    /// The buffers, allocated once; raw memory, so the two threads never share a Swift array.
    let storage: [UnsafeMutableRawBufferPointer]
    private let free: DispatchSemaphore
    private let full = DispatchSemaphore(value: 0)
    private let state = Mutex<(slots: [Slot], cancelled: Bool)>(([], false))

    init(buffers: Int, bufferSize: Int) {
        storage = (0..<buffers).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        }
        // Made at zero and signalled up: libdispatch traps when a semaphore is freed below the
        // value it was made with, which a stream abandoned mid-way would do.
        free = DispatchSemaphore(value: 0)
        for _ in 0..<buffers { free.signal() }
    }

    deinit {
        for buffer in storage { buffer.deallocate() }
    }

    /// Fills buffers until the source ends, fails, or the consumer has gone.
    func produce(from source: ByteStream) {
        var index = 0
        while true {
            free.wait()
            if state.withLock({ $0.cancelled }) { return }
            let buffer = storage[index]
            var filled = 0
            var failure: Error?
            do {
                while filled < buffer.count {
                    let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                    if n == 0 { break }
                    filled += n
                }
            } catch {
                failure = error
            }
            if filled > 0 {
                state.withLock { $0.slots.append(Slot(index: index, count: filled, error: nil)) }
                full.signal()
            }
            // A short buffer means the end, or an error right after its bytes: a last, empty slot
            // says which. It holds no buffer, so it needs no free one.
            if filled < buffer.count || failure != nil {
                state.withLock { $0.slots.append(Slot(index: index, count: 0, error: failure)) }
                full.signal()
                return
            }
            index = (index + 1) % storage.count
        }
    }

    /// The next filled buffer, waiting for it.
    func take() -> Slot {
        full.wait()
        return state.withLock { $0.slots.removeFirst() }
    }

    /// Gives the buffer last taken back to the producer.
    func release() {
        free.signal()
    }

    /// The consumer is gone: the producer stops at its next wait.
    func cancel() {
        state.withLock { $0.cancelled = true }
        free.signal()
    }
}
