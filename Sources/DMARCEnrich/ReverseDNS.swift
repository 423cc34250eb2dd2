import DMARCCore
import DMARCNet
import Dispatch
import Synchronization

/// What reverse DNS says about one source address.
public struct ReverseDNSResult: Sendable, Equatable {
    public var ip: String
    /// The first PTR name, if any.
    public var ptr: String?
    /// Whether the PTR name resolves back to the address (forward-confirmed reverse DNS).
    public var forwardConfirmed: Bool
    /// The PTR name's organisational domain (public suffix list), e.g. `google.com`.
    public var baseDomain: String?
    /// Set when a lookup failed (timeout, SERVFAIL), so the result should not be cached long.
    public var problem: String?
}

/// Reverse DNS with forward confirmation for many addresses at once, with a bounded number of
/// questions in flight: DNS waits on the network, so throughput comes from concurrency, never
/// from asking one address at a time.
public struct ReverseDNSLookup: Sendable {
    public let resolver: DNSResolver
    public let psl: PublicSuffixList
    /// Most lookups in flight at once.
    public let concurrency: Int

    public init(resolver: DNSResolver, psl: PublicSuffixList = .shared, concurrency: Int = 64) {
        self.resolver = resolver
        self.psl = psl
        self.concurrency = max(1, concurrency)
    }

    /// Looks up one address: PTR, then A/AAAA of the PTR name to confirm it.
    public func lookup(_ text: String) -> ReverseDNSResult {
        var result = ReverseDNSResult(ip: text, ptr: nil, forwardConfirmed: false, baseDomain: nil, problem: nil)
        guard let address = IPAddress(text) else {
            result.problem = "not an IP address"
            return result
        }
        let answer = resolver.ptr(address)
        switch answer {
        case .records(let names):
            guard let name = names.first else { return result }
            result.ptr = name
            result.baseDomain = psl.organizationalDomain(name)
            let forward = address.isIPv4 ? resolver.ipv4(name) : resolver.ipv6(name)
            switch forward {
            case .records(let addresses):
                result.forwardConfirmed = addresses.contains { IPAddress($0) == address }
            case .nxdomain, .noData:
                break
            default:
                // A timeout or SERVFAIL confirms nothing either way: a temporary failure, kept
                // for a short while only, not "not confirmed" for a week.
                result.problem = "forward lookup of \(name): " + (forward.problem ?? "failed")
            }
        case .nxdomain, .noData:
            break
        default:
            result.problem = answer.problem
        }
        return result
    }

    /// Looks up every address with at most `concurrency` in flight; results in input order.
    public func lookup(_ addresses: [String]) -> [ReverseDNSResult] {
        var out = [ReverseDNSResult?](repeating: nil, count: addresses.count)
        run(addresses, batch: max(addresses.count, 1)) { for (i, r) in $0 { out[i] = r } }
        return out.compactMap { $0 }
    }

    /// Looks up every address with at most `concurrency` in flight and hands the results to
    /// `handle` on the calling thread, `batch` at a time as they complete (the last batch may be
    /// smaller), so a caller that saves each batch keeps its work if the run dies. When `handle`
    /// throws, the lookups still in flight finish, the rest are skipped, and the error is rethrown.
    public func lookup(
        _ addresses: [String], batch: Int, _ handle: ([ReverseDNSResult]) throws -> Void
    ) rethrows {
        try run(addresses, batch: batch) { try handle($0.map(\.1)) }
    }

    /// The workers behind both `lookup`s: results with their index in `addresses`.
    private func run(
        _ addresses: [String], batch: Int, _ handle: ([(Int, ReverseDNSResult)]) throws -> Void
    ) rethrows {
        guard !addresses.isEmpty else { return }
        let pending = Mutex<[(Int, ReverseDNSResult)]>([])
        let next = Mutex(0)
        let stop = Mutex(false)
        let ready = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        let me = self
        for _ in 0..<min(concurrency, addresses.count) {
            group.enter()
            // Each worker blocks on DNS; they run on their own threads, off the cooperative pool.
            DispatchQueue.global().async {
                defer { group.leave() }
                while true {
                    let i = next.withLock { n -> Int in
                        defer { n += 1 }
                        return n
                    }
                    guard i < addresses.count, !stop.withLock({ $0 }) else { return }
                    let r = me.lookup(addresses[i])
                    pending.withLock { $0.append((i, r)) }
                    ready.signal()
                }
            }
        }
        defer {
            stop.withLock { $0 = true }
            group.wait()
        }
        let size = max(batch, 1)
        var done = 0
        while done < addresses.count {
            ready.wait()
            done += 1
            // Several lookups may finish between two waits: hand out whole batches of `size`,
            // and what is left only at the end.
            let last = done == addresses.count
            let take = pending.withLock { p -> [(Int, ReverseDNSResult)] in
                let n = last ? p.count : p.count - p.count % size
                defer { p.removeFirst(n) }
                return Array(p.prefix(n))
            }
            var start = 0
            while start < take.count {
                try handle(Array(take[start..<min(start + size, take.count)]))
                start += size
            }
        }
    }
}
