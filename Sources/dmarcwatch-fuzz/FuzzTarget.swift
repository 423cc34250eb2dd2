import DMARCCore
import DMARCIngest

#if canImport(Glibc)
    import Glibc
#endif

// Report content is hostile: this runs any bytes through what `import` does with a file (content
// sniffing, gzip, zip, MIME, the XML parser and its repairs), storing nothing.
//
// Built two ways. `make fuzz` builds it with libFuzzer and AddressSanitizer (-sanitize=fuzzer,address
// and -DFUZZING): libFuzzer's driver then calls `scan` with inputs it mutates, and reports a crash,
// a trap or a memory error with the input that caused it. Built normally (as `make test`
// does), it replays files, to reproduce such an input: dmarcwatch-fuzz FILE...

/// Takes every report and forgets it, checking what a sink may rely on.
final class CheckingSink: AggregateReportSink {
    var open = false

    func begin(_ header: AggregateReportHeader) throws -> Bool {
        precondition(!open, "begin twice without finish or abort")
        open = true
        return true
    }

    func record(_ r: AggregateRecord) throws {
        precondition(open, "a record outside a report")
        precondition(r.count >= 0 && !r.sourceIP.isEmpty, "a record the parser should have skipped")
    }

    func finish(_ header: AggregateReportHeader) throws {
        precondition(open, "finish without begin")
        open = false
    }

    func abort() { open = false }
}

/// Small limits, so that inputs the fuzzer grows hit them quickly rather than run for long.
func scan(_ bytes: [UInt8]) {
    var limits = IngestLimits()
    limits.messageBytes = 4 << 20
    limits.documentBytes = 16 << 20
    limits.repairBytes = 4 << 20
    _ = try? ReportScanner(limits: limits).scan(bytes: bytes, sink: CheckingSink())
}

#if FUZZING
    /// libFuzzer's driver, for a program with a main of its own (SwiftPM gives executables theirs).
    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzer(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt
#endif

@main
enum FuzzTarget {
    static func main() throws {
        #if FUZZING
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(
                runFuzzer(&argc, &argv) { data, size in
                    scan(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                    return 0
                })
        #else
            if CommandLine.arguments.count < 2 {
                print(
                    "Usage: dmarcwatch-fuzz FILE...   (runs each file through the intake and parser, storing nothing)")
            }
            for path in CommandLine.arguments.dropFirst() {
                scan(try FileStream(path: path).readAll(limit: 64 << 20, what: path))
                print("\(path): ok")
            }
        #endif
    }
}
