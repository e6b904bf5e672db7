import CameraSampleModel
import ConsentKit
import Foundation
import Observation
import XCTest

final class FakeOs: OsPermissions {
    var answer: OsPermission = .granted
    var asked: [Feature] = []
    var known: [Feature: OsPermission] = [:]
    func current(_ feature: Feature) -> OsPermission { known[feature] ?? .unknown }
    func request(_ feature: Feature, onResult: @escaping (OsPermission) -> Void) {
        asked.append(feature)
        known[feature] = answer
        onResult(answer)
    }
}

/// Records what the hardware was asked to do, and whether the store allowed it at that moment.
final class FakeCamera: CameraHardware {
    let store: () -> ConsentStore
    var photos: [Orientation] = []
    var recordingWithAudio: Bool?
    var allowedAtEachUse: [Bool] = []
    init(store: @escaping () -> ConsentStore) { self.store = store }
    func capturePhoto(orientation: Orientation) {
        allowedAtEachUse.append(store().isAllowed(feature: .camera))
        photos.append(orientation)
    }
    func startRecording(withAudio: Bool) {
        allowedAtEachUse.append(store().isAllowed(feature: .camera))
        recordingWithAudio = withAudio
    }
    func stopRecording() { recordingWithAudio = nil }
}

final class FakeSensor: OrientationSensor {
    let store: () -> ConsentStore
    var cameraOpenDuringRead: [Bool] = []
    init(store: @escaping () -> ConsentStore) { self.store = store }
    func start(onChange: @escaping (Orientation) -> Void) {
        cameraOpenDuringRead.append(store().isAllowed(feature: .camera) && store().isAllowed(feature: .motionSensors))
        onChange(.landscape)
    }
    func stop() {}
}

final class FakeClipboard: ClipboardReader {
    var text: String? = "SHARE-42"
    func readText() -> String? { text }
}

/// Counts observation callbacks, which may come from the store's notifying thread.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() { lock.lock(); value += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
}

final class FakeSharer: Sharer {
    var shared: [(String, String)] = []
    func share(fileName: String, mimeType: String, content: String) { shared.append((fileName, content)) }
}

final class SampleModelTests: XCTestCase {
    var dir: URL!
    var store: ConsentStore!
    var os: FakeOs!
    var camera: FakeCamera!
    var sensor: FakeSensor!
    var sharer: FakeSharer!
    var model: CameraModel!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("sample-\(UUID().uuidString)")
        // On screen, as the app reports from its scene phase (a store is in the background until told).
        store = try ConsentStore.open(directory: dir, config: ConsentConfig(appId: "com.example.camera"))
        try store.setForeground(foreground: true)
        os = FakeOs()
        camera = FakeCamera { [unowned self] in self.store }
        sensor = FakeSensor { [unowned self] in self.store }
        sharer = FakeSharer()
        model = CameraModel(store: store, os: os, camera: camera, sensor: sensor, clipboard: FakeClipboard())
    }

    override func tearDownWithError() throws {
        model = nil
        store = nil
        try? FileManager.default.removeItem(at: dir)
    }

    func refusals() throws -> Int { try store.auditLog(filter: AuditFilter()).filter { $0.kind == .sessionRefused }.count }

    func testNothingIsAskedAtLaunchAndTheShutterPromptsAtTheMomentOfUse() throws {
        XCTAssertNil(model.state.prompt)
        XCTAssertEqual(try refusals(), 0, "opening the screen touches no feature")
        model.onShutter()
        let prompt = try XCTUnwrap(model.state.prompt, "the shutter asks right then")
        XCTAssertEqual(prompt.feature, .camera)
        XCTAssertEqual(prompt.why, "Take a photo when you tap the shutter")
        XCTAssertTrue(camera.photos.isEmpty)
        model.onPromptAnswer(allow: true)
        XCTAssertEqual(os.asked, [.camera], "then the OS dialog")
        XCTAssertEqual(camera.allowedAtEachUse, [true], "the photo was taken inside a session")
        XCTAssertFalse(store.isAllowed(feature: .camera), "and the session ended after it")
    }

    /// What SwiftUI does with an `@Observable` model: read `state`, be told when it changes —
    /// also when the change comes from the store (a revocation in Settings) rather than a tap.
    func testViewsAreToldWhenTheModelsStateChanges() throws {
        let changes = Tally(), settingsChanges = Tally()
        func track() { withObservationTracking { _ = model.state } onChange: { changes.add() } }
        track()
        model.onShutter() // the prompt appears
        XCTAssertEqual(changes.count, 1)
        model.onPromptAnswer(allow: true)
        try store.grant(feature: .microphone, scope: .untilRevoked, actor: .user)
        model.onRecordStart()
        XCTAssertTrue(model.state.recording)
        track()
        let settings = PrivacySettingsModel(store: store, sharer: sharer)
        withObservationTracking { _ = settings.state } onChange: { settingsChanges.add() }
        settings.setEnabled(.camera, false)
        XCTAssertEqual(changes.count, 2, "the recording stopped, and the camera screen was told")
        XCTAssertEqual(settingsChanges.count, 1, "and so was the Settings screen")
        XCTAssertFalse(model.state.recording)
    }

    func testOrientationIsReadOnlyWhileShootingAndOnlyWithConsent() throws {
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        model.onShutter()
        XCTAssertTrue(sensor.cameraOpenDuringRead.isEmpty, "no consent for the sensors: untouched")
        XCTAssertEqual(camera.photos.last, .portrait)
        try store.grant(feature: .motionSensors, scope: .untilRevoked, actor: .user)
        model.onShutter()
        XCTAssertEqual(sensor.cameraOpenDuringRead, [true])
        XCTAssertEqual(camera.photos.last, .landscape)
        XCTAssertFalse(store.isAllowed(feature: .motionSensors))
    }

    func testDecliningTheMicrophoneRecordsASilentVideo() throws {
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        model.onRecordStart()
        XCTAssertEqual(model.state.prompt?.feature, .microphone)
        XCTAssertFalse(store.isAllowed(feature: .camera), "the camera is not held while asking")
        model.onPromptAnswer(allow: false)
        XCTAssertEqual(store.state(feature: .microphone).status, .denied)
        XCTAssertTrue(model.state.recording)
        XCTAssertEqual(camera.recordingWithAudio, false)
        model.onRecordStop()
        XCTAssertNil(camera.recordingWithAudio)
        XCTAssertFalse(store.isAllowed(feature: .camera))
    }

    func testRevokingTheCameraInSettingsStopsARecordingAtOnce() throws {
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        try store.grant(feature: .microphone, scope: .untilRevoked, actor: .user)
        model.onRecordStart()
        XCTAssertEqual(camera.recordingWithAudio, true)
        PrivacySettingsModel(store: store, sharer: sharer).setEnabled(.camera, false)
        XCTAssertFalse(model.state.recording)
        XCTAssertNil(camera.recordingWithAudio)
        XCTAssertTrue(model.state.notice?.contains("camera access ended") ?? false)
        XCTAssertFalse(store.isAllowed(feature: .microphone), "the microphone session ended with it")
    }

    func testTheBackgroundEndsTheRecordingAndNothingStartsUntilTheForeground() throws {
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        try store.deny(feature: .microphone, actor: .user)
        model.onRecordStart()
        model.onBackground()
        XCTAssertFalse(model.state.recording)
        model.onShutter()
        XCTAssertTrue(camera.photos.isEmpty)
        model.onForeground()
        model.onShutter()
        XCTAssertEqual(camera.photos.count, 1)
    }

    func testPastingAShareCodeAsksForASingleUse() throws {
        model.onPasteShareCode()
        XCTAssertEqual(model.state.prompt?.offerOnce, true)
        model.onPromptAnswer(allow: true, once: true)
        XCTAssertEqual(model.state.pastedCode, "SHARE-42")
        XCTAssertEqual(store.state(feature: .clipboard).status, .notAsked, "the single use was consumed")
        model.onPasteShareCode()
        XCTAssertNotNil(model.state.prompt, "asked again next time")
    }

    func testAnOsDenialIsExplainedInsteadOfUsed() throws {
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        os.known[.camera] = .denied
        model.onShutter()
        XCTAssertTrue(camera.photos.isEmpty)
        XCTAssertEqual(model.state.notice, "Camera is blocked in the system settings.")
    }

    func testSettingsShowEveryFeatureWithItsWhyLinesAndTogglesDecide() throws {
        let settings = PrivacySettingsModel(store: store, sharer: sharer)
        XCTAssertEqual(settings.state.rows.count, 6)
        XCTAssertTrue(settings.state.rows.allSatisfy { !$0.enabled }, "everything starts off")
        XCTAssertEqual(settings.row(.clipboard)?.why, ["Paste a login code you copied", "Paste a share code you copied",
                                                       "Read a channel code to count where installs come from"])
        XCTAssertEqual(settings.adsPersonalization?.title, "Enable Ads Personalization")
        settings.setAdsPersonalization(true)
        XCTAssertEqual(settings.adsPersonalization?.enabled, true)
        settings.setAdsPersonalization(false)
        XCTAssertEqual(settings.adsPersonalization?.status, .denied)
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        XCTAssertEqual(settings.row(.camera)?.enabled, true, "rows follow changes made elsewhere")
        try settings.exportMyData()
        XCTAssertEqual(sharer.shared.first?.0, "consent-export.json")
        XCTAssertTrue(sharer.shared.first?.1.contains("\"consent_records\"") ?? false)
    }

    func testDeleteMyDataNeedsAConfirmationAndThenErasesEverything() throws {
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        let settings = PrivacySettingsModel(store: store, sharer: sharer)
        settings.requestDelete()
        XCTAssertTrue(settings.state.confirmingDelete)
        settings.cancelDelete()
        XCTAssertEqual(settings.row(.camera)?.enabled, true)
        settings.requestDelete()
        try settings.confirmDelete()
        XCTAssertEqual(settings.row(.camera)?.enabled, false)
        // The erasure, then the app still on screen (a new chain starts in the background).
        XCTAssertEqual(store.head().seq, 2)
    }

    func testADamagedStoreShowsTheBannerWithEverythingOff() throws {
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        model = nil
        store = nil // releasing the store closes it
        let log = dir.appendingPathComponent("consent.log")
        var bytes = try Data(contentsOf: log)
        bytes[200] ^= 1 // inside the first records
        try bytes.write(to: log)
        // On screen, as the app reports from its scene phase (a store is in the background until told).
        store = try ConsentStore.open(directory: dir, config: ConsentConfig(appId: "com.example.camera"))
        try store.setForeground(foreground: true)
        let settings = PrivacySettingsModel(store: store, sharer: sharer)
        XCTAssertNotNil(settings.state.damage)
        XCTAssertTrue(settings.state.rows.allSatisfy { !$0.enabled })
    }

    func testTheReportCountsAWeekOfUsesAndListsTheLogNewestFirst() throws {
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        model.onShutter()
        model.onShutter()
        model.onPasteShareCode() // never asked: refused, then prompted
        let report = PrivacyReportModel(store: store, sharer: sharer)
        let camera = try XCTUnwrap(report.state.rows.first { $0.feature == .camera })
        XCTAssertEqual(camera.uses, 2)
        XCTAssertNotNil(camera.lastUse)
        let clipboard = report.state.rows.first { $0.feature == .clipboard }
        XCTAssertEqual(clipboard?.refused, 0)
        XCTAssertEqual(clipboard?.toAsk, 1)
        let seqs = report.state.log.map(\.seq)
        XCTAssertEqual(seqs, seqs.sorted(by: >))
        XCTAssertTrue(report.state.log.first?.text.hasPrefix("sessionRefused") ?? false)
        try report.exportAccessReport()
        XCTAssertEqual(sharer.shared.last?.1.split(separator: "\n").count, 4, "two intervals, begin and end")
    }
}
