import ConsentKit
import Foundation
import Observation
import XCTest

private let app = "com.example.camera"

final class Recorder: ConsentObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [ConsentChange] = []
    var onRevokedEnd: (() -> Void)?

    var changes: [ConsentChange] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    func onChange(change: ConsentChange) {
        lock.lock()
        seen.append(change)
        lock.unlock()
        if change.endReason == .revoked { onRevokedEnd?() }
    }
}

final class ConsentKitTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("consentkit-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func open(_ config: ConsentConfig = ConsentConfig(appId: app)) throws -> ConsentStore {
        try ConsentStore.open(directory: dir, config: config).onScreen()
    }

    func assertRefused(_ expected: ConsentError, _ body: () throws -> Void, line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) { error in
            XCTAssertEqual(error as? ConsentError, expected, line: line)
        }
    }

    func testGrantThenBeginUseAllowsTheFeatureUntilTheSessionEnds() throws {
        let store = try open()
        XCTAssertFalse(store.isAllowed(feature: .camera))
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        XCTAssertFalse(store.isAllowed(feature: .camera), "consent alone never opens the door")
        let session = try store.beginUse(feature: .camera, purpose: "shoot_photo")
        XCTAssertTrue(session.isActive())
        XCTAssertEqual(session.feature(), .camera)
        XCTAssertEqual(session.purpose(), "shoot_photo")
        XCTAssertTrue(store.isAllowed(feature: .camera))
        XCTAssertTrue(store.state(feature: .camera).allowed)
        try session.end()
        XCTAssertFalse(session.isActive())
        XCTAssertFalse(store.isAllowed(feature: .camera))
    }

    func testReleasingASessionEndsIt() throws {
        let store = try open()
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        var session: UseSession? = try store.beginUse(feature: .camera, purpose: "shoot_photo")
        XCTAssertTrue(store.isAllowed(feature: .camera))
        XCTAssertNotNil(session)
        session = nil
        XCTAssertFalse(store.isAllowed(feature: .camera))
        let newest = try store.auditLog(filter: AuditFilter(limit: 1))
        XCTAssertEqual(newest.first?.kind, .sessionEnded)
        XCTAssertEqual(newest.first?.endReason, .released)
        let taken = try store.withUse(.camera, purpose: "record_video") { _ in store.isAllowed(feature: .camera) }
        XCTAssertTrue(taken)
        XCTAssertFalse(store.isAllowed(feature: .camera))
    }

    func testRefusalsThrowTheMatchingErrorAndAreLogged() throws {
        let store = try open()
        assertRefused(.ConsentRequired(feature: .camera, purpose: "shoot_photo")) { _ = try store.beginUse(feature: .camera, purpose: "shoot_photo") }
        assertRefused(.UnknownPurpose(feature: .camera, purpose: "login")) { _ = try store.beginUse(feature: .camera, purpose: "login") }
        XCTAssertThrowsError(try store.beginUse(feature: .camera, purpose: "Not A Purpose")) { error in
            guard case .InvalidArgument = error as? ConsentError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try store.grant(feature: .camera, scope: .untilRevoked, actor: .app)) { error in
            guard case .NotPermitted = error as? ConsentError else { return XCTFail("\(error)") }
        }
        try store.deny(feature: .microphone, actor: .user)
        assertRefused(.Denied(feature: .microphone)) { _ = try store.beginUse(feature: .microphone, purpose: "voice_note") }
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        try store.setOsPermission(feature: .camera, permission: .denied)
        assertRefused(.OsPermissionDenied(feature: .camera)) { _ = try store.beginUse(feature: .camera, purpose: "shoot_photo") }
        let error = ConsentError.ConsentRequired(feature: .clipboard, purpose: nil)
        XCTAssertEqual(error.feature(), .clipboard)
        XCTAssertTrue(error.shouldAsk() && error.isRefusal())
        let refusals = try store.auditLog(filter: AuditFilter()).filter { $0.kind == .sessionRefused }.map(\.refusal)
        XCTAssertEqual(refusals, [.osPermissionDenied, .denied, .invalidPurpose, .unknownPurpose, .consentRequired])
        // Which errors are refusals, and which ask the person now, comes from the core.
        XCTAssertThrowsError(try store.beginUse(feature: .camera, purpose: "Shoot")) { error in
            guard let error = error as? ConsentError, case .InvalidArgument(let reason) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertFalse(error.isRefusal())
            XCTAssertTrue(reason.contains("capital letters"), reason)
        }
        XCTAssertFalse(ConsentError.Denied(feature: .camera).shouldAsk())
    }

    func testRevokingFromAnotherThreadEndsTheSessionAndReachesTheObserver() throws {
        let store = try open()
        let recorder = Recorder()
        let heard = expectation(description: "observer heard the revocation")
        recorder.onRevokedEnd = { heard.fulfill() }
        let subscription = store.subscribe(observer: recorder)
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        let session = try store.beginUse(feature: .camera, purpose: "record_video")
        Thread.detachNewThread { try? store.revoke(feature: .camera, actor: .user) }
        wait(for: [heard], timeout: 5)
        XCTAssertFalse(session.isActive())
        XCTAssertFalse(store.isAllowed(feature: .camera))
        XCTAssertEqual(recorder.changes.map(\.kind), [.granted, .sessionBegan, .revoked, .sessionEnded])
        XCTAssertEqual(recorder.changes.last?.state?.status, .denied)
        subscription.cancel()
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        XCTAssertEqual(recorder.changes.count, 4, "no changes after cancel")
    }

    func testASingleUseGrantIsConsumedWhenItsSessionEnds() throws {
        let store = try open()
        try store.grant(feature: .clipboard, scope: .once, actor: .user)
        try store.withUse(.clipboard, purpose: "share_code") { _ in
            assertRefused(.SingleUseInProgress(feature: .clipboard)) { _ = try store.beginUse(feature: .clipboard, purpose: "share_code") }
        }
        XCTAssertEqual(store.state(feature: .clipboard).status, .notAsked)
        assertRefused(.ConsentRequired(feature: .clipboard, purpose: "share_code")) { _ = try store.beginUse(feature: .clipboard, purpose: "share_code") }
    }

    func testGoingToTheBackgroundEndsCameraSessionsAndRefusesNewOnes() throws {
        let store = try open()
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        try store.grant(feature: .photoLibrary, scope: .untilRevoked, actor: .user)
        let camera = try store.beginUse(feature: .camera, purpose: "shoot_photo")
        let library = try store.beginUse(feature: .photoLibrary, purpose: "save_media")
        try store.setForeground(foreground: false)
        XCTAssertFalse(camera.isActive())
        XCTAssertTrue(library.isActive())
        assertRefused(.InBackground(feature: .camera)) { _ = try store.beginUse(feature: .camera, purpose: "shoot_photo") }
        try store.setForeground(foreground: true)
        XCTAssertNoThrow(try store.withUse(.camera, purpose: "shoot_photo") { _ in })
    }

    func testATermsRevisionBumpAsksAgainForThatFeatureOnly() throws {
        do {
            let store = try open()
            try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
            try store.grant(feature: .microphone, scope: .untilRevoked, actor: .user)
        }
        let camera = FeaturePolicy(feature: .camera, purposes: ["shoot_photo", "record_video"], termsRevision: 2)
        let store = try open(ConsentConfig(appId: app, features: [camera]))
        XCTAssertEqual(store.state(feature: .camera).status, .needsReconsent)
        XCTAssertEqual(store.state(feature: .camera).termsRevision, 2)
        XCTAssertEqual(store.state(feature: .microphone).status, .granted)
        assertRefused(.NeedsReconsent(feature: .camera)) { _ = try store.beginUse(feature: .camera, purpose: "shoot_photo") }
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        XCTAssertEqual(store.state(feature: .camera).decidedTermsRevision, 2)
    }

    func testDecisionsPersistAcrossReopeningAndASecondOpenerIsRefused() throws {
        var first: ConsentStore? = try open()
        try first?.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        try first?.setOsPermission(feature: .camera, permission: .granted)
        XCTAssertThrowsError(try open()) { error in
            guard case .StoreLocked = error as? ConsentError else { return XCTFail("\(error)") }
        }
        XCTAssertNotNil(first)
        first = nil // releasing the store closes it and frees the directory
        let store = try open()
        XCTAssertEqual(store.state(feature: .camera).status, .granted)
        XCTAssertEqual(store.state(feature: .camera).osPermission, .granted)
        XCTAssertTrue(try store.verify().intact)
    }

    func testTasksShareOneStoreAndLeaveAGapFreeVerifiedChain() async throws {
        let store = try open()
        let policies = defaultPolicies()
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<8 {
                group.addTask {
                    let policy = policies[n % policies.count]
                    for round in 0..<40 {
                        if round % 5 == 0 {
                            try? store.revoke(feature: policy.feature, actor: .user)
                        } else {
                            try? store.grant(feature: policy.feature, scope: .untilRevoked, actor: .user)
                        }
                        _ = try? store.withUse(policy.feature, purpose: policy.purposes[0]) { _ in
                            store.isAllowed(feature: policy.feature)
                        }
                    }
                }
            }
        }
        let seqs = try store.auditLog(filter: AuditFilter()).map(\.seq).reversed()
        XCTAssertEqual(Array(seqs), Array(1...store.head().seq))
        XCTAssertTrue(try store.verify().intact)
    }

    func testACorruptedStoreComesBackWithEverythingOff() throws {
        do {
            let store = try open()
            try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
            try store.grant(feature: .microphone, scope: .untilRevoked, actor: .user)
            try store.withUse(.camera, purpose: "shoot_photo") { _ in }
        }
        let log = dir.appendingPathComponent("consent.log")
        var bytes = try Data(contentsOf: log)
        bytes[200] ^= 0x10 // inside the first records; the log keeps zeroed free space after them
        try bytes.write(to: log)
        let store = try open()
        XCTAssertTrue(store.states().allSatisfy { $0.status != .granted && !$0.allowed })
        let notice = try XCTUnwrap(store.recoveryNotice(), "the store says why everything is off")
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(notice.quarantinedAs).path, isDirectory: &isDirectory))
        XCTAssertTrue(isDirectory.boolValue, "damaged files kept aside")
        let report = try store.verify()
        XCTAssertFalse(report.intact)
        XCTAssertEqual(report.firstBadSeq, notice.firstBadSeq)
    }

    func testTheChangesStreamDeliversChangesInLogOrder() async throws {
        let store = try open()
        let stream = store.changes() // subscribed as soon as it is created
        try store.grant(feature: .photoLibrary, scope: .untilRevoked, actor: .user)
        try store.revoke(feature: .photoLibrary, actor: .user)
        var seen: [ConsentChange] = []
        for await change in stream {
            seen.append(change)
            if seen.count == 2 { break }
        }
        XCTAssertEqual(seen.map(\.kind), [.granted, .revoked])
        XCTAssertLessThan(seen[0].seq, seen[1].seq)
    }

    func testAClosureSubscriptionHearsEachChangeUntilCancelled() throws {
        let store = try open()
        let recorder = Recorder()
        let subscription = store.subscribe { change in recorder.onChange(change: change) }
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        try store.revoke(feature: .camera, actor: .user)
        XCTAssertEqual(recorder.changes.map(\.kind), [.granted, .revoked])
        subscription.cancel()
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        XCTAssertEqual(recorder.changes.count, 2, "no changes after cancel")
    }

    func testWithUseEndsItsSessionAsTheAppEndingItWhenTheBodyReturnsOrThrows() throws {
        struct CameraFailed: Error {}
        let store = try open()
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        let returned = try store.withUse(.camera, purpose: "shoot_photo") { $0.id() }
        var threw: UInt64?
        XCTAssertThrowsError(try store.withUse(.camera, purpose: "record_video") { session in
            threw = session.id()
            throw CameraFailed()
        })
        // A session the rules already ended keeps its reason: the end after the body adds nothing.
        let revoked = try store.withUse(.camera, purpose: "shoot_photo") { session in
            try store.revoke(feature: .camera, actor: .user)
            return session.id()
        }
        XCTAssertFalse(store.isAllowed(feature: .camera))
        let ends = try store.auditLog(filter: AuditFilter()).filter { $0.kind == .sessionEnded }
        let endReasons = Dictionary(uniqueKeysWithValues: ends.map { ($0.sessionId, $0.endReason) })
        XCTAssertEqual(endReasons, [returned: .ended, threw: .ended, revoked: .revoked])
    }

    func testConsentStatesFollowDecisionsAndSessions() throws {
        let store = try open()
        let live = ConsentStates(store: store)
        XCTAssertEqual(live.states.count, 6)
        XCTAssertEqual(live[.camera]?.status, .notAsked)
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        XCTAssertEqual(live[.camera]?.status, .granted)
        try store.withUse(.camera, purpose: "shoot_photo") { _ in
            XCTAssertEqual(live[.camera]?.allowed, true)
            XCTAssertEqual(live[.camera]?.activeSessions, 1)
        }
        try store.revoke(feature: .camera, actor: .user)
        XCTAssertEqual(live[.camera]?.status, .denied)
    }

    func testConsentStatesTellObservationOnlyWhatChanged() throws {
        let store = try open()
        let live = ConsentStates(store: store)
        let heard = Heard()
        // What a SwiftUI view does: read some properties, be told when one of them changes.
        withObservationTracking { _ = live[.camera] } onChange: { heard.add("states") }
        withObservationTracking { _ = live.policy } onChange: { heard.add("policy") }
        withObservationTracking { _ = live.sdks } onChange: { heard.add("sdks") }
        XCTAssertEqual(heard.values, [])
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        XCTAssertEqual(heard.values, ["states"], "a feature decision changes the states only")
        XCTAssertEqual(live[.camera]?.status, .granted, "and the new value is there to read")
    }

    func testPrivacyReportAuditLogAndExportsReadTheHistoryBack() throws {
        let store = try open()
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        try store.withUse(.camera, purpose: "shoot_photo") { _ in }
        XCTAssertThrowsError(try store.beginUse(feature: .microphone, purpose: "voice_note"))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let report = try store.privacyReport(sinceMs: now - 86_400_000, untilMs: now + 60_000)
        let camera = try XCTUnwrap(report.features.first { $0.feature == .camera })
        XCTAssertEqual(camera.uses, 1)
        XCTAssertEqual(camera.purposes, [PurposeUse(purpose: "shoot_photo", uses: 1)])
        let microphone = try XCTUnwrap(report.features.first { $0.feature == .microphone })
        XCTAssertEqual(microphone.refused, 0)
        XCTAssertEqual(microphone.neededConsent, 1)
        XCTAssertEqual(try store.auditLog(filter: AuditFilter(feature: .camera)).count, 3)
        XCTAssertTrue(try store.exportJson().contains("\"how_to_withdraw\""))
        let lines = try store.exportAccessNdjson().split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].contains("\"kind\":\"intervalBegin\""))
        XCTAssertTrue(lines[1].contains("\"kind\":\"intervalEnd\""))
        try store.eraseAll()
        // The erasure, then the app saying it is still on screen (a new chain starts in the background).
        XCTAssertEqual(store.head().seq, 2)
        XCTAssertNil(store.recoveryNotice())
    }

    func testStandardRecordsKantaraReceiptsAndTheReportInThePersonsLanguage() throws {
        let camera = FeaturePolicy(
            feature: .camera, purposes: ["shoot_photo"], termsRevision: 1, name: "相机",
            purposeTexts: [PurposeText(purpose: "shoot_photo", description: "在你按下快门时拍照")])
        var config = ConsentConfig(appId: app, features: [camera])
        config.jurisdiction = "CN"
        config.controller = Controller(name: "Example Camera Ltd.", email: "privacy@example.com")
        config.policyUrl = "https://example.com/privacy"
        config.policyLanguage = "zh-Hans"
        let store = try open(config)
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        let receipts = try store.exportKantaraReceipts()
        XCTAssertTrue(receipts.hasPrefix("[{\"version\":\"KI-CR-v1.1.0\""), receipts)
        XCTAssertTrue(receipts.contains("\"service\":\"相机\""), receipts)
        let export = try store.exportJson()
        XCTAssertTrue(export.contains("\"controller\":{\"name\":\"Example Camera Ltd.\""), export)
        XCTAssertTrue(export.contains("\"description\":\"在你按下快门时拍照\""), export)
        try store.withUse(.camera, purpose: "shoot_photo") { _ in }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let page = try store.privacyReportHtml(
            sinceMs: now - 86_400_000, untilMs: now + 60_000,
            language: .forLocale(Locale(identifier: "zh_CN")))
        XCTAssertTrue(page.contains("<html lang=\"zh-Hans\">") && page.contains("<main>"))
        XCTAssertTrue(page.contains("相机 · 使用 1 次") && page.contains("在你按下快门时拍照"))
        XCTAssertEqual(Language.forLocale(Locale(identifier: "de_DE")), .english)
        config.policyUrl = "http://example.com"
        XCTAssertThrowsError(try ConsentStore.openInMemory(config: config))
    }
}

/// Names heard by observation callbacks, safe to add to from the store's notifying thread.
final class Heard: @unchecked Sendable {
    private let lock = NSLock()
    private var heard: [String] = []
    func add(_ name: String) { lock.lock(); heard.append(name); lock.unlock() }
    var values: [String] { lock.lock(); defer { lock.unlock() }; return heard }
}
