internal import CLibXML2

/// Process-wide libxml2 set-up. `xmlInitParser` must run once before readers are used from
/// several threads; `xmlCleanupParser` is never called (libxml2 "Thread safety").
enum LibXML {
    static let initialised: Bool = {
        xmlInitParser()
        return true
    }()

    static func ensureInitialised() { _ = initialised }
}
