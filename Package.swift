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
        // Tests only: the CloudFormation rendering must parse back to the same document.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        .target(
            name: "CSocketShims"
        ),
        .target(
            name: "IAMScribeCore",
            dependencies: [
                "CSocketShims",
                "CPcap",
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
            dependencies: ["IAMScribeCore", "TestSupport", .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["IAMScribeCore", "iamscribe", "TestSupport"]
        ),
    ]
)
