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
        // The HTTPS proxy (IAMScribeProxy) only: IAMScribeCore stays free of NIO.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        // Tests only: the CloudFormation rendering must parse back to the same document.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
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
        // The HTTPS proxy: its CA, the NIO server, and a CallSource over it.
        .target(
            name: "IAMScribeProxy",
            dependencies: [
                "IAMScribeCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "iamscribe",
            dependencies: [
                "IAMScribeCore",
                "IAMScribeProxy",
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
        .testTarget(
            name: "IAMScribeProxyTests",
            dependencies: [
                "IAMScribeProxy", "IAMScribeCore", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // An HTTP/2 endpoint that answers before the request ends (HTTP2UpstreamTests).
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)

// IAMSCRIBE_CORE_ONLY=1: the package is IAMScribeCore and its tests alone, without the proxy, the
// executable and their tests, so that nothing builds NIO, BoringSSL or the other packages only the
// proxy needs: Scripts/test-sanitized (AddressSanitizer) and Scripts/fuzz build this way.
if Context.environment["IAMSCRIBE_CORE_ONLY"] == "1" {
    let proxyAndExecutable: Set = ["IAMScribeProxy", "iamscribe", "EndToEndTests", "IAMScribeProxyTests"]
    package.targets.removeAll { proxyAndExecutable.contains($0.name) }
    package.products.removeAll { $0.name == "iamscribe" }
}
