import Dispatch
import Synchronization

/// Buffers handed in order from a producing thread to a consuming one: the producer fills a free
/// buffer, the consumer takes it, reads it and gives it back. Memory is bounded by
/// `buffers × bufferSize`, allocated once.
///
/// Used by `PrefetchStream` (a decompressor ahead of the XML parser) and `XMLEventPipe` (libxml2's
/// reader ahead of the code that reads the report out of its nodes).
final class BufferRing: @unchecked Sendable {
    // `@unchecked Sendable` is sound: a buffer in `storage` is written only by the producer
    // between `free.wait()` and `full.signal()`, and read only by the consumer between
    // `full.wait()` and `free.signal()`; the semaphores order the two. `slots` is behind the
    // mutex, `cancelled` is atomic.

    /// A filled buffer, or (with `count` 0) the end: an error, if the producer met one.
    struct Slot {
        let index: Int
        let count: Int
        let error: Error?
    }

    /// What one call of the producer's fill function did.
    struct Fill {
        /// Bytes written at the start of the buffer.
        var count: Int
        /// Whether these are the last bytes: the producer stops after them.
        var last: Bool
        /// An error met after `count` bytes; it ends the stream too.
        var error: Error?
    }

    /// The buffers; raw memory, so the two threads never share a Swift array.
    let storage: [UnsafeMutableRawBufferPointer]
    private let free: DispatchSemaphore
    private let full = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let slots = Mutex<[Slot]>([])
    private let cancelled = Atomic<Bool>(false)

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

    /// Fills buffers with `fill` until it reports the last bytes or an error, or the consumer
    /// has gone; then `waitUntilProduced()` returns.
    func produce(_ fill: (UnsafeMutableRawBufferPointer) -> Fill) {
        defer { finished.signal() }
        var index = 0
        while true {
            free.wait()
            if isCancelled { return }
            let done = fill(storage[index])
            if done.count > 0 {
                slots.withLock { $0.append(Slot(index: index, count: done.count, error: nil)) }
                full.signal()
            }
            // The end, or an error after the buffer's bytes: a last, empty slot says which. It
            // holds no buffer, so it needs no free one.
            if done.last || done.error != nil {
                slots.withLock { $0.append(Slot(index: index, count: 0, error: done.error)) }
                full.signal()
                return
            }
            if done.count > 0 { index = (index + 1) % storage.count } else { free.signal() }
        }
    }

    /// The next filled buffer (or the end), waiting for it.
    func take() -> Slot {
        full.wait()
        return slots.withLock { $0.removeFirst() }
    }

    /// Gives the buffer last taken back to the producer.
    func release() {
        free.signal()
    }

    /// The consumer is gone: the producer stops at its next wait, or sooner where it checks
    /// `isCancelled`.
    func cancel() {
        cancelled.store(true, ordering: .releasing)
        free.signal()
    }

    /// Whether the consumer has gone; for a producer that can stop in the middle of a buffer.
    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// Waits until `produce` has returned (after the end, an error or `cancel()`).
    func waitUntilProduced() {
        finished.wait()
    }
}
