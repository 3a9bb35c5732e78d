// swift-tools-version: 6.1
// iamscribe's libFuzzer targets: a package of their own, so that the main package's `swift build`
// and `swift test` never see them. Scripts/fuzz builds them with `--sanitize=fuzzer
// --sanitize=address` (libFuzzer's main is linked) `-Xswiftc -sanitize=fuzzer,address` (the Swift
// code is instrumented for coverage) `-Xswiftc -enable-testing` (some targets reach internal stages
// through `@testable import`) and runs them on the seed corpora in Corpus/. See README.md here.
import PackageDescription

let core = Target.Dependency.product(name: "IAMScribeCore", package: "iamscribe")

/// One libFuzzer executable: its entry is `LLVMFuzzerTestOneInput`; libFuzzer provides `main`.
func fuzzTarget(_ name: String) -> Target {
    .executableTarget(name: "Fuzz\(name)", dependencies: [core, "FuzzSupport"])
}

let package = Package(
    name: "iamscribe-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "iamscribe", path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport"),
        fuzzTarget("CSMEvent"),
        fuzzTarget("CSMAssembler"),
        fuzzTarget("CaptureFile"),
        fuzzTarget("PacketPipeline"),
        fuzzTarget("HTTPStream"),
        fuzzTarget("AWSRequest"),
        fuzzTarget("IAMPolicy"),
        fuzzTarget("PolicyEvaluator"),
        fuzzTarget("CloudTrail"),
    ]
)
