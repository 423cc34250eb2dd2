// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "DMARCWatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dmarcwatch", targets: ["dmarcwatch"])
    ],
    targets: [
        // System libraries from Debian; `make setup` installs the packages named in each provider.
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CGMime", pkgConfig: "gmime-3.0", providers: [.apt(["libgmime-3.0-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(
            name: "CShims", dependencies: ["CGMime", "CZlib", "CSQLite", "CCurl", "CMicroHTTPD"],
            linkerSettings: [.linkedLibrary("resolv")]
        ),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CPSL", pkgConfig: "libpsl", providers: [.apt(["libpsl-dev"])]),
        .systemLibrary(name: "CMaxMindDB", pkgConfig: "libmaxminddb", providers: [.apt(["libmaxminddb-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]),

        .target(name: "DMARCCore"),
        .target(name: "DMARCNet", dependencies: ["DMARCCore", "CShims", "CPSL", "CCurl"]),
        .target(name: "DMARCEnrich", dependencies: ["DMARCCore", "DMARCNet", "CMaxMindDB"]),
        .target(
            name: "DMARCWeb",
            dependencies: [
                "DMARCCore", "DMARCStore", "DMARCEnrich", "CShims", "CMicroHTTPD", "CCrypt", "CCrypto",
            ]
        ),
        .target(name: "DMARCStore", dependencies: ["DMARCCore", "CSQLite", "CShims", "CZlib", "CZstd", "CCrypto"]),
        .target(
            name: "DMARCIngest",
            dependencies: ["DMARCCore", "DMARCStore", "CLibXML2", "CArchive", "CGMime", "CZlib", "CShims"]
        ),
        .executableTarget(
            name: "dmarcwatch",
            dependencies: ["DMARCCore", "DMARCStore", "DMARCIngest", "DMARCNet", "DMARCEnrich", "DMARCWeb"]
        ),
        .executableTarget(
            name: "dmarcwatch-bench",
            dependencies: ["DMARCCore", "DMARCIngest", "DMARCStore", "DMARCWeb", "CArchive", "CZlib"]
        ),
        .executableTarget(name: "dmarcwatch-fuzz", dependencies: ["DMARCCore", "DMARCIngest"]),

        .testTarget(name: "DMARCCoreTests", dependencies: ["DMARCCore"]),
        .testTarget(
            name: "DMARCIngestTests",
            dependencies: ["DMARCIngest", "DMARCStore", "DMARCCore"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "DMARCStoreTests", dependencies: ["DMARCStore", "DMARCCore"]),
        .target(name: "TestServers", path: "Tests/TestServers"),
        .testTarget(name: "DMARCNetTests", dependencies: ["DMARCNet", "DMARCCore", "DMARCEnrich", "TestServers"]),
        .testTarget(
            name: "WebTests",
            dependencies: ["DMARCWeb", "DMARCStore", "DMARCIngest", "DMARCNet", "DMARCCore", "TestServers"]
        ),
        .testTarget(name: "CLITests", dependencies: ["DMARCCore", "TestServers"], exclude: ["Snapshots"]),
    ],
    swiftLanguageModes: [.v6]
)
