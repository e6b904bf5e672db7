// swift-tools-version:5.9
// The sample's view models as a package, so they are tested with Swift for Linux
// (scripts/swift-test ios-sample). The SwiftUI app (project.yml) compiles the same sources.
import PackageDescription

let package = Package(
    name: "CameraSample",
    platforms: [.iOS(.v17), .macOS(.v14)], // Observation, onChange(of:) with two values, videoRotationAngle
    products: [.library(name: "CameraSampleModel", targets: ["CameraSampleModel"])],
    dependencies: [.package(name: "ConsentKit", path: "../bindings/swift")],
    targets: [
        .target(name: "CameraSampleModel", dependencies: ["ConsentKit"], path: "Sources/Model"),
        .testTarget(name: "CameraSampleModelTests", dependencies: ["CameraSampleModel"], path: "Tests/ModelTests"),
    ]
)
