/// A usage error: exit code 64 with the message and a pointer to `--help`.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A command that was used right but could not do its work (a file it cannot write): exit 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Parsed options of one command. Each command declares which options take values and which
/// are flags; anything else is a usage error.
struct Arguments {
    var positionals: [String] = []
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []

    init(_ args: [String], options: Set<String>, flags allowedFlags: Set<String>) throws {
        var i = 0
        var onlyPositionals = false
        while i < args.count {
            let arg = args[i]
            i += 1
            if onlyPositionals || arg == "-" || !arg.hasPrefix("-") {
                positionals.append(arg)
                continue
            }
            if arg == "--" {
                onlyPositionals = true
                continue
            }
            var name = arg
            var inline: String?
            if let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq])
                inline = String(arg[arg.index(after: eq)...])
            }
            if options.contains(name) {
                if let inline {
                    values[name, default: []].append(inline)
                } else {
                    guard i < args.count else { throw UsageError(message: "\(name) needs a value") }
                    values[name, default: []].append(args[i])
                    i += 1
                }
            } else if allowedFlags.contains(name), inline == nil {
                flags.insert(name)
            } else {
                throw UsageError(message: "unknown option \(arg)")
            }
        }
    }

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func flag(_ name: String) -> Bool { flags.contains(name) }
}
