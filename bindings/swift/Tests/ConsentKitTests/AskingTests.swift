import ConsentKit
import Foundation
import XCTest

private func inChina() -> ConsentConfig {
    ConsentConfig(appId: "com.example.camera", jurisdiction: "CN")
}

final class AskingTests: XCTestCase {
    func testAPurposeTheGrantDoesNotCoverIsAskedForOnItsOwn() throws {
        let store = try ConsentStore.openInMemory(config: inChina()).onScreen()
        try store.grant(.clipboard, purposes: "login")
        try store.withUse(.clipboard, purpose: "login") { _ in }
        XCTAssertThrowsError(try store.beginUse(feature: .clipboard, purpose: "channel_stats")) { error in
            XCTAssertEqual(error as? ConsentError, .ConsentRequired(feature: .clipboard, purpose: "channel_stats"))
            XCTAssertTrue((error as! ConsentError).shouldAsk())
        }
        try store.grant(.clipboard, purposes: "channel_stats")
        XCTAssertEqual(store.state(feature: .clipboard).grantedPurposes, ["login", "channel_stats"])
    }

    func testAfterANoTheAdviceIsNotNowTheOSsNoIncluded() throws {
        let store = try ConsentStore.openInMemory(config: inChina()).onScreen()
        XCTAssertTrue(store.promptAdvice(feature: .microphone).shouldPrompt)
        try store.deny(feature: .microphone, actor: .user)
        XCTAssertThrowsError(try store.beginUse(feature: .microphone, purpose: "voice_note")) { error in
            let advice = store.advice(for: error as! ConsentError)
            guard case let .notNow(untilMs) = advice else { return XCTFail("\(advice)") }
            let hours = Double(untilMs - Int64(Date().timeIntervalSince1970 * 1000)) / 3_600_000
            XCTAssertEqual(hours, 48, accuracy: 0.1)
            XCTAssertFalse(advice.shouldPrompt)
        }
        // An OS refusal starts the same quiet period (Settings is advised once it has run).
        try store.setOsPermission(feature: .camera, permission: .deniedPermanently)
        let osAdvice = store.promptAdvice(feature: .camera)
        guard case .notNow = osAdvice else { return XCTFail("\(osAdvice)") }
        XCTAssertFalse(osAdvice.shouldPrompt)
    }

    func testOnlyAGuardianGrantsForAMinor() throws {
        let store = try ConsentStore.openInMemory(config: inChina()).onScreen()
        try store.setAgeSignal(signal: AgeSignal(13...15, source: .osAgeRange))
        XCTAssertEqual(store.promptAdvice(feature: .camera), .askGuardian)
        XCTAssertThrowsError(try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)) { error in
            XCTAssertEqual(error as? ConsentError, .GuardianRequired(feature: .camera))
            XCTAssertTrue((error as! ConsentError).needsGuardian())
        }
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .guardian)
        try store.withUse(.camera, purpose: "shoot_photo") { _ in XCTAssertTrue(store.isAllowed(feature: .camera)) }
        XCTAssertEqual(store.ageSignal(), AgeSignal(13...15, source: .osAgeRange))
    }

    func testMotionSensorsAreReadOnlyWhileTheCameraShoots() throws {
        let store = try ConsentStore.openInMemory(config: inChina()).onScreen()
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        try store.grant(feature: .motionSensors, scope: .untilRevoked, actor: .user)
        XCTAssertThrowsError(try store.beginUse(feature: .motionSensors, purpose: "orientation")) { error in
            XCTAssertEqual(error as? ConsentError, .OnlyDuring(feature: .motionSensors, during: .camera))
        }
        let camera = try store.beginUse(feature: .camera, purpose: "shoot_photo")
        let sensors = try store.beginUse(feature: .motionSensors, purpose: "orientation")
        XCTAssertTrue(sensors.isActive())
        try camera.end()
        XCTAssertFalse(sensors.isActive(), "ended with the camera")
    }

    func testCompactKeepsEveryDecisionAndCutsNothingYoung() throws {
        let store = try ConsentStore.openInMemory(config: inChina()).onScreen()
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        XCTAssertEqual(try store.compact(), 0)
        XCTAssertEqual(store.historyStartSeq(), 1)
        XCTAssertEqual(store.state(feature: .camera).status, .granted)
    }
}
