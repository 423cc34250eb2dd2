// Parses the command line and runs the chosen command; everything else lives in the modules.
#if canImport(Glibc)
    import Glibc
#endif

exit(CommandLineTool.run(Array(CommandLine.arguments.dropFirst())))
