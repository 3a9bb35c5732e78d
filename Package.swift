// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "iamscribe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "iamscribe", targets: ["iamscribe"]),
        .library(name: "IAMScribeCore", targets: ["IAMScribeCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // libpcap's header, for its types and constants; the library itself is loaded with
        // dlopen (PcapLibrary), so no pkgConfig: its `-lpcap` would link it.
        .systemLibrary(
            name: "CPcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        // zlib for CloudTrail's gzip log files: inflate streams by chunks and reads the
        // concatenated gzip members CloudTrail and `cat a.gz b.gz` write.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .target(
            name: "CSocketShims"
        ),
        .target(
            name: "IAMScribeCore",
            dependencies: [
                "CSocketShims",
                "CPcap",
                "CZlib",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["ActionTable/ActionTableFormat.md", "Capture/UNSAFE.md"]
        ),
        .executableTarget(
            name: "iamscribe",
            dependencies: [
                "IAMScribeCore",
                "CSocketShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers both test targets use (loopback sockets) and the fixtures they share.
        .target(name: "TestSupport", path: "Tests/TestSupport", resources: [.copy("Fixtures")]),
        .testTarget(
            name: "IAMScribeCoreTests",
            dependencies: ["IAMScribeCore", "TestSupport"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["IAMScribeCore", "iamscribe", "TestSupport"]
        ),
    ]
)
