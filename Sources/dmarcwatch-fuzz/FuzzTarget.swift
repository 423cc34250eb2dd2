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

/// Writes to standard error (a file descriptor: Glibc's `stderr` is shared mutable state to Swift 6).
func printError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Small limits, so that inputs the fuzzer grows hit them quickly rather than run for long.
func scan(_ bytes: [UInt8]) {
    var limits = IngestLimits()
    limits.messageBytes = 4 << 20
    limits.documentBytes = 16 << 20
    limits.jsonBytes = 4 << 20
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
    static func main() {
        #if FUZZING
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(
                runFuzzer(&argc, &argv) { data, size in
                    scan(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                    return 0
                })
        #else
            let usage = """
                Usage: dmarcwatch-fuzz FILE...

                Runs each file through what `import` does with it (sniffing, gzip, zip, MIME, the XML
                parser and its repairs), storing nothing, and prints "FILE: ok" when it comes through.
                Replays an input `make fuzz` saved; a crash or trap shows the fault.

                Exit codes: 0 every file read, 1 a file could not be opened, 64 bad usage.

                """
            let paths = Array(CommandLine.arguments.dropFirst())
            if paths == ["--help"] || paths == ["-h"] {
                print(usage, terminator: "")
                exit(0)
            }
            guard !paths.isEmpty, !paths.contains(where: { $0.hasPrefix("-") }) else {
                printError(usage)
                exit(64)
            }
            var status: Int32 = 0
            for path in paths {
                do {
                    scan(try FileStream(path: path).readAll(limit: 64 << 20, what: path))
                    print("\(path): ok")
                } catch {
                    printError("\(path): \(error)\n")
                    status = 1
                }
            }
            exit(status)
        #endif
    }
}
