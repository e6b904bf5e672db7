import ConsentKit
import Foundation
import XCTest

/// The app's store as `ConsentStore.openForApp` opens it.
final class AppStoreTests: XCTestCase {
    private let key = Data("a platform key, never exported..".utf8)
    private let config = ConsentConfig(appId: "com.example.camera")
    private var container: URL!
    private var dir: URL { container.appendingPathComponent("consentkit") }
    private var anchor: URL { container.appendingPathComponent("keychain-anchor") }

    override func setUpWithError() throws {
        container = FileManager.default.temporaryDirectory.appendingPathComponent("ck-app-\(UUID())")
        try FileManager.default.createDirectory(at: container, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: container)
    }

    /// A sealer standing in for the Keychain: its anchor outlives the store's directory.
    private func keychain() throws -> Sealing {
        .sealer(try InMemorySealer(key: key, anchorURL: anchor))
    }

    private func grantCamera(_ sealing: Sealing) throws -> LogHead {
        let store = try ConsentStore.openForApp(config: config, sealing: sealing, directory: dir).onScreen()
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        return store.head()
    }

    #if !(canImport(Security) && canImport(CryptoKit))
    /// Where there is no Keychain (Linux), the default does not fall back to unsealed.
    func testTheDefaultIsTheKeychainAndWithoutOneNothingOpensOrIsWritten() throws {
        XCTAssertThrowsError(try ConsentStore.openForApp(config: config, directory: dir)) { error in
            XCTAssertTrue("\(error)".contains("Keychain"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("consent.log").path))
    }
    #endif

    func testSealedTheStoreReopensIntactAndAnOldCopyRestoredIsDamage() throws {
        XCTAssertNotNil(try grantCamera(try keychain()).seal)
        let log = dir.appendingPathComponent("consent.log")
        let copy = try Data(contentsOf: log)
        do {
            let store = try ConsentStore.openForApp(config: config, sealing: try keychain(), directory: dir).onScreen()
            XCTAssertNil(store.recoveryNotice())
            XCTAssertTrue(try store.verify().intact)
            try store.revoke(feature: .camera, actor: .user)
        }
        try copy.write(to: log)
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("consent.snapshot"))
        let store = try ConsentStore.openForApp(config: config, sealing: try keychain(), directory: dir).onScreen()
        XCTAssertNotNil(store.recoveryNotice(), "the restored copy was caught")
        XCTAssertFalse(store.isAllowed(feature: .camera))
        XCTAssertEqual(store.state(feature: .camera).status, .notAsked)
    }

    func testAReinstallStartsAfreshButFilesDeletedFromTheStoreAreDamage() throws {
        _ = try grantCamera(try keychain())
        // Files deleted inside this install's store directory: the key's anchor says damage.
        for name in ["consent.log", "consent.snapshot", "consent.index"] {
            try? FileManager.default.removeItem(at: dir.appendingPathComponent(name))
        }
        do {
            let store = try ConsentStore.openForApp(config: config, sealing: try keychain(), directory: dir)
            XCTAssertNotNil(store.recoveryNotice(), "deleted files are damage, not a fresh start")
        }
        // The app deleted and installed again: its files are gone, the Keychain's are not.
        try FileManager.default.removeItem(at: dir)
        XCTAssertTrue(FileManager.default.fileExists(atPath: anchor.path), "the anchor outlived the app")
        let store = try ConsentStore.openForApp(config: config, sealing: try keychain(), directory: dir)
        XCTAssertNil(store.recoveryNotice(), "a reinstall is a fresh start")
        XCTAssertTrue(try store.verify().intact)
        XCTAssertEqual(store.state(feature: .camera).status, .notAsked)
    }

    func testUnsealedOnlyWhenAskedAndASealedStoreNeedsItsKey() throws {
        XCTAssertNil(try grantCamera(.none).seal)
        let other = container.appendingPathComponent("sealed")
        _ = try ConsentStore.openForApp(config: config, sealing: try keychain(), directory: other)
        XCTAssertThrowsError(try ConsentStore.openForApp(config: config, sealing: .none, directory: other)) { error in
            guard case ConsentError.NotPermitted = error else { return XCTFail("\(error)") }
        }
    }

    #if canImport(Darwin)
    /// (swift-corelibs-foundation accepts the attribute but keeps none: Apple platforms only.)
    func testTheStoreIsExcludedFromBackups() throws {
        _ = try grantCamera(try keychain())
        let values = try dir.resourceValues(forKeys: [.isExcludedFromBackupKey])
        XCTAssertEqual(values.isExcludedFromBackup, true)
    }
    #endif
}
