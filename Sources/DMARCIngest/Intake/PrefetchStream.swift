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
    private let ring: BufferRing
    /// The buffer being consumed and how far into it.
    private var current: BufferRing.Slot?
    private var offset = 0
    private var ended = false
    /// The source's `inputWarnings`, taken by the prefetching thread when the source has ended.
    private let sourceWarnings = SourceWarnings()

    init(_ source: ByteStream, buffers: Int = 4, bufferSize: Int = 256 * 1024) {
        ring = BufferRing(buffers: buffers, bufferSize: bufferSize)
        let ring = self.ring
        let box = SourceBox(source)
        let warnings = sourceWarnings
        // A queue of its own, not the global one: the producer blocks on the ring, and
        // libdispatch's global pool has only as many threads as cores.
        DispatchQueue(label: "dmarcwatch.prefetch").async { ring.produce(from: box.source, warnings: warnings) }
    }

    var inputWarnings: [ParseWarning] { sourceWarnings.value.withLock { $0 } }

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

private final class SourceWarnings: Sendable {
    let value = Mutex<[ParseWarning]>([])
}

extension BufferRing {
    /// Fills buffers from `source` until it ends or fails; a short buffer is the last one.
    fileprivate func produce(from source: ByteStream, warnings: SourceWarnings) {
        produce { buffer in
            var filled = 0
            do {
                while filled < buffer.count {
                    let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                    if n == 0 {
                        // Set before the end is handed over, so the consumer sees it at the end.
                        let notes = source.inputWarnings
                        warnings.value.withLock { $0 = notes }
                        return Fill(count: filled, last: true)
                    }
                    filled += n
                }
            } catch {
                return Fill(count: filled, last: true, error: error)
            }
            return Fill(count: filled, last: false)
        }
    }
}
