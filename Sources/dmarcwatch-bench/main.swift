// The benchmark helper behind `make bench`: generates deterministic synthetic reports and
// times parse-only reading. All logic lives in the files beside this one.
#if canImport(Glibc)
    import Glibc
#endif

exit(BenchTool.run(Array(CommandLine.arguments.dropFirst())))
