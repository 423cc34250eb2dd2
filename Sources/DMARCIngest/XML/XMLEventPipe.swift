internal import CLibXML2
import Dispatch

/// libxml2's `xmlTextReader` on a thread of its own, a few buffers ahead of the code that reads
/// the report out of its nodes, so the two halves of parsing run on two cores: libxml2 alone is
/// most of a parse, and it cannot itself be split.
///
/// The producing thread walks the reader and writes each node it needs as a small event: an
/// element's start (its local name and namespace as libxml2 interned them, and whether it is
/// empty), an element's end, text (copied, since libxml2 frees a node once the reader moves on),
/// and the end of the document or a failure. Names stay valid while the reader lives, so
/// `close()` must be called before the reader is freed.
final class XMLEventPipe {
    /// One node of the document. `text` points into the pipe's buffer.
    enum Event {
        case element(name: UnsafePointer<UInt8>?, namespace: UnsafePointer<UInt8>?, empty: Bool)
        case end
        case text(UnsafeRawBufferPointer)
        case doctype
        case entityReference
        /// The document ended well-formed.
        case finished
        /// libxml2 stopped on an error; the input context holds what it was.
        case failed
    }

    /// How events are laid out in a buffer: a kind byte, then what that kind carries.
    enum Kind: UInt8 {
        /// + empty flag (1 byte) + local name (8) + namespace URI (8).
        case element = 1
        case end
        /// + length (4) + bytes.
        case text
        case doctype
        case entityReference
        case finished
        case failed
    }

    private let ring: BufferRing
    private var holding = false
    private var closed = false

    /// Starts reading `reader` on a thread of its own.
    init(reader: OpaquePointer, buffers: Int = 4, bufferSize: Int = 128 * 1024) {
        // Room for the largest fixed-size event and a piece of text, and more.
        precondition(bufferSize >= 64, "event buffers must hold at least 64 bytes")
        let ring = BufferRing(buffers: buffers, bufferSize: bufferSize)
        self.ring = ring
        let producer = XMLEventProducer(reader: reader, ring: ring)
        // A queue of its own, not the global one: the producer blocks on the ring, and
        // libdispatch's global pool has only as many threads as cores.
        DispatchQueue(label: "dmarcwatch.xml-reader").async {
            ring.produce { producer.fill($0) }
        }
    }

    deinit {
        close()
    }

    /// The next buffer of events, waiting for the producer; valid until the next call. `nil` once
    /// the producer has stopped (its last buffer ends with `.finished`, `.failed`, `.doctype` or
    /// `.entityReference`) or the pipe is closed.
    func nextBuffer() -> Cursor? {
        guard !closed else { return nil }
        if holding {
            holding = false
            ring.release()
        }
        let slot = ring.take()
        guard slot.count > 0 else { return nil }
        holding = true
        return Cursor(UnsafeRawBufferPointer(rebasing: ring.storage[slot.index][0..<slot.count]))
    }

    /// Reads the events of one buffer. A value kept in a local variable, so reading an event is
    /// a few loads with no access checks.
    struct Cursor {
        private var position: UnsafeRawPointer
        private let end: UnsafeRawPointer

        init(_ buffer: UnsafeRawBufferPointer) {
            position = buffer.baseAddress!
            end = position + buffer.count
        }

        /// The next event of the buffer, or `nil` at its end.
        @inline(__always)
        mutating func next() -> Event? {
            guard position < end else { return nil }
            let kind = Kind(rawValue: position.load(as: UInt8.self))
            position += 1
            switch kind {
            case .element:
                let empty = position.load(as: UInt8.self) != 0
                let name = position.loadUnaligned(fromByteOffset: 1, as: UInt.self)
                let namespace = position.loadUnaligned(fromByteOffset: 9, as: UInt.self)
                position += 17
                return .element(
                    name: UnsafePointer(bitPattern: name), namespace: UnsafePointer(bitPattern: namespace),
                    empty: empty)
            case .end:
                return .end
            case .text:
                let n = Int(position.loadUnaligned(as: UInt32.self))
                let bytes = UnsafeRawBufferPointer(start: position + 4, count: n)
                position += 4 + n
                return .text(bytes)
            case .doctype: return .doctype
            case .entityReference: return .entityReference
            case .finished: return .finished
            case .failed, nil:
                position = end
                return .failed
            }
        }
    }

    /// Stops the producer if it is still reading and waits until it has let go of the reader.
    /// Safe to call more than once.
    func close() {
        guard !closed else { return }
        closed = true
        ring.cancel()
        ring.waitUntilProduced()
    }
}

@available(*, unavailable)
extension XMLEventPipe: Sendable {}

/// The producing side: walks the reader and writes events into the ring's buffers.
///
/// `@unchecked Sendable` is sound: it is made by `XMLEventPipe.init` and from then on used only by
/// the pipe's producing thread, which `close()` waits for before the reader is freed.
private final class XMLEventProducer: @unchecked Sendable {
    let reader: OpaquePointer
    /// Asked between nodes whether the consumer has gone (a duplicate report, an error), so the
    /// producer stops at once rather than when its buffer is full.
    let ring: BufferRing
    /// Text of the current node that did not fit in the last buffer.
    private var pendingText: UnsafePointer<UInt8>?
    private var pendingCount = 0
    /// Room every node but text needs, checked before the reader moves on (text is split).
    private static let reserve = 32

    init(reader: OpaquePointer, ring: BufferRing) {
        self.reader = reader
        self.ring = ring
    }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) -> BufferRing.Fill {
        let base = buffer.baseAddress!
        var used = 0

        func put(_ kind: XMLEventPipe.Kind) {
            base.storeBytes(of: kind.rawValue, toByteOffset: used, as: UInt8.self)
            used += 1
        }

        /// Writes as much of the pending text as fits; whether all of it did.
        func putText() -> Bool {
            guard let text = pendingText else { return true }
            let n = min(pendingCount, buffer.count - used - 5)
            guard n > 0 else { return false }
            put(.text)
            base.storeBytes(of: UInt32(n), toByteOffset: used, as: UInt32.self)
            (base + used + 4).copyMemory(from: text, byteCount: n)
            used += 4 + n
            pendingCount -= n
            pendingText = pendingCount > 0 ? text + n : nil
            return pendingText == nil
        }

        guard putText() else { return BufferRing.Fill(count: used, last: false) }
        while buffer.count - used >= Self.reserve {
            if ring.isCancelled { return BufferRing.Fill(count: used, last: true) }
            let rc = xmlTextReaderRead(reader)
            if rc != 1 {
                put(rc == 0 ? .finished : .failed)
                return BufferRing.Fill(count: used, last: true)
            }
            switch xmlTextReaderNodeType(reader) {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                put(.element)
                base.storeBytes(
                    of: UInt8(xmlTextReaderIsEmptyElement(reader) == 1 ? 1 : 0), toByteOffset: used, as: UInt8.self)
                let name = xmlTextReaderConstLocalName(reader).map { UInt(bitPattern: $0) } ?? 0
                let namespace = xmlTextReaderConstNamespaceUri(reader).map { UInt(bitPattern: $0) } ?? 0
                base.storeBytes(of: name, toByteOffset: used + 1, as: UInt.self)
                base.storeBytes(of: namespace, toByteOffset: used + 9, as: UInt.self)
                used += 17
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                put(.end)
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
                guard let value = xmlTextReaderConstValue(reader) else { break }
                pendingText = value
                pendingCount = Int(xmlStrlen(value))
                if pendingCount == 0 { pendingText = nil }
                guard putText() else { return BufferRing.Fill(count: used, last: false) }
            case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue):
                put(.doctype)
                return BufferRing.Fill(count: used, last: true)
            case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue):
                put(.entityReference)
                return BufferRing.Fill(count: used, last: true)
            default:
                break
            }
        }
        return BufferRing.Fill(count: used, last: false)
    }
}
