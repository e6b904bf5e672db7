// swift-tools-version:5.9
// ConsentKit for Swift: the generated UniFFI code plus a small idiomatic layer.
//
// The C module ConsentKitFFI is the UniFFI header. On Linux (and for macOS tests) it is a
// system library linked against libconsentkit from `-Xlinker -L<dir>`; for iOS apps,
// scripts/build-xcframework (macOS only) builds ConsentKitFFI.xcframework, which this
// manifest then uses instead. Run scripts/bindings first: it writes the generated sources.
import Foundation
import PackageDescription

let xcframework = "ConsentKitFFI.xcframework"
let useXCFramework = FileManager.default.fileExists(
    atPath: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(xcframework).path)

let ffi: Target = useXCFramework
    ? .binaryTarget(name: "ConsentKitFFI", path: xcframework)
    : .systemLibrary(name: "ConsentKitFFI", path: "Sources/ConsentKitFFI")

let package = Package(
    name: "ConsentKit",
    platforms: [.iOS(.v17), .macOS(.v14)], // Observation (ConsentStates)
    products: [.library(name: "ConsentKit", targets: ["ConsentKit"])],
    targets: [
        ffi,
        // The hot read path's two C functions (src/hot.rs), declared by hand.
        .systemLibrary(name: "ConsentKitHot", path: "Sources/ConsentKitHot"),
        // HMAC for the in-memory sealer where CryptoKit is missing (Linux): OpenSSL's libcrypto.
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "ConsentKit",
            dependencies: [
                "ConsentKitFFI",
                "ConsentKitHot",
                .target(name: "COpenSSL", condition: .when(platforms: [.linux])),
            ],
            path: "Sources/ConsentKit",
            linkerSettings: useXCFramework ? [] : [.linkedLibrary("consentkit")]
        ),
        .testTarget(name: "ConsentKitTests", dependencies: ["ConsentKit"], path: "Tests/ConsentKitTests"),
        // Per-call costs for scripts/bench (swift run -c release ConsentKitBench).
        .executableTarget(name: "ConsentKitBench", dependencies: ["ConsentKit"], path: "Sources/ConsentKitBench"),
    ]
)
