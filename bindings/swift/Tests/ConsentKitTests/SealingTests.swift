import ConsentKit
import Foundation
import XCTest

final class SealingTests: XCTestCase {
    private let key = Data("a platform key, never exported..".utf8)
    private let config = ConsentConfig(appId: "com.example.camera")
    private var dir: URL!
    private var keys: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ck-seal-\(UUID())")
        keys = FileManager.default.temporaryDirectory.appendingPathComponent("ck-keys-\(UUID())")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
        try? FileManager.default.removeItem(at: keys)
    }

    private func sealer() throws -> InMemorySealer {
        try InMemorySealer(key: key, anchorURL: keys.appendingPathComponent("anchor"))
    }

    func testTheInMemorySealerIsHMACSHA256() throws {
        // RFC 4231, test case 1.
        let sealer = try InMemorySealer(key: Data(repeating: 0x0b, count: 20))
        let mac = try sealer.mac(message: Data("Hi There".utf8))
        XCTAssertEqual(
            mac.map { String(format: "%02x", $0) }.joined(),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    func testAStoreSealedFromSwiftVerifiesAndItsHeadProvesTheLogLater() throws {
        var head: LogHead
        do {
            let store = try ConsentStore.openSealed(directory: dir, config: config, sealer: try sealer()).onScreen()
            try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
            try store.withUse(.camera, purpose: "shoot_photo") { _ in }
            head = store.head()
        }
        XCTAssertNotNil(head.seal)
        let store = try ConsentStore.openSealed(directory: dir, config: config, sealer: try sealer()).onScreen()
        XCTAssertNil(store.recoveryNotice())
        let report = try store.verify()
        XCTAssertTrue(report.intact, report.problem ?? "")
        XCTAssertNotNil(report.sealedThrough)
        XCTAssertTrue(try store.verifyExtends(head: head).extends)
        head.seal = String(repeating: "00", count: 32)
        XCTAssertFalse(try store.verifyExtends(head: head).extends)
    }

    func testSwiftAndTheCoreSoftwareSealerComputeTheSameSeals() throws {
        do {
            // The anchor is kept with the key: both sealers share it, as they would share a keychain.
            let store = try ConsentStore.openSealed(directory: dir, config: config, sealer: try sealer()).onScreen()
            try store.grant(feature: .microphone, scope: .untilRevoked, actor: .user)
        }
        let core = try softwareSealer(key: key, anchorFile: keys.appendingPathComponent("anchor").path)
        let store = try ConsentStore.openSealed(directory: dir, config: config, sealer: core).onScreen()
        let report = try store.verify()
        XCTAssertTrue(report.intact, report.problem ?? "")
        XCTAssertNotNil(report.sealedThrough)
    }

    func testRestoringAnOldCopyIsCaughtByTheAnchorKeptWithTheKey() throws {
        do {
            let store = try ConsentStore.openSealed(directory: dir, config: config, sealer: try sealer()).onScreen()
            try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        }
        let log = dir.appendingPathComponent("consent.log")
        let copy = try Data(contentsOf: log)
        do {
            let store = try ConsentStore.openSealed(directory: dir, config: config, sealer: try sealer()).onScreen()
            try store.revoke(feature: .camera, actor: .user)
        }
        try copy.write(to: log)
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("consent.snapshot"))
        let store = try ConsentStore.openSealed(directory: dir, config: config, sealer: try sealer()).onScreen()
        let notice = try XCTUnwrap(store.recoveryNotice())
        XCTAssertTrue(notice.problem.contains("anchored"), notice.problem)
        XCTAssertEqual(store.state(feature: .camera).status, .notAsked)
        XCTAssertFalse(store.isAllowed(feature: .camera))
    }
}
