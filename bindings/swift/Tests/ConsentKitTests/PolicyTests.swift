import ConsentKit
import Foundation
import XCTest

private func sdk(_ id: String, requires: [Feature] = [], notForMinors: Bool = false) -> SdkPolicy {
    SdkPolicy(
        id: id, name: "\(id) SDK", vendor: "Example Ltd.", purpose: "Testing",
        dataCollected: ["Device model"], requires: requires,
        privacyPolicyUrl: "https://\(id).example.com/privacy", notForMinors: notForMinors)
}

/// A Chinese camera app: a policy to agree to, an ad SDK not for minors, an AR SDK needing the camera.
private let chineseApp = ConsentConfig(
    appId: "com.example.cn", policyRevision: 1,
    sdks: [sdk("ads", notForMinors: true), sdk("ar_filters", requires: [.camera])],
    jurisdiction: "CN")

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() { lock.lock(); value += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
}

final class PolicyTests: XCTestCase {
    func testBasicModeRefusesEveryGrantAndUseWithATypedErrorUntilThePolicyIsAgreed() throws {
        let store = try ConsentStore.openInMemory(config: chineseApp).onScreen()
        XCTAssertEqual(store.policyState().status, .notAsked)
        XCTAssertTrue(store.policyState().basicMode)
        XCTAssertThrowsError(try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)) { error in
            let refusal = error as! ConsentError
            XCTAssertEqual(refusal, .PolicyNotAgreed(feature: .camera))
            XCTAssertTrue(refusal.needsPolicyAgreement() && refusal.isRefusal() && !refusal.shouldAsk())
        }
        XCTAssertThrowsError(try store.sdkStarted(id: "ads")) { error in
            XCTAssertEqual(error as? ConsentError, .SdkBlocked(sdk: "ads", reason: .policyNotAgreed))
        }
        try store.declinePolicy(actor: .user)
        XCTAssertEqual(store.policyState().status, .declined)
        try store.agreeToPolicy(actor: .user)
        XCTAssertEqual(store.policyState().status, .agreed)
        XCTAssertEqual(store.state(feature: .camera).status, .notAsked, "agreeing turns nothing on")
    }

    func testWhenSdkMayStartRunsTheStartOnceAfterAgreementAndTheCameraGrant() throws {
        let store = try ConsentStore.openInMemory(config: chineseApp).onScreen()
        let ar = Counter()
        let ads = Counter()
        store.whenSdkMayStart("ar_filters") { ar.increment() }
        let adsWaiter = store.whenSdkMayStart("ads") { ads.increment() }
        XCTAssertEqual(ar.count + ads.count, 0, "nothing starts before agreement")
        try store.agreeToPolicy(actor: .user)
        XCTAssertEqual(ads.count, 1)
        XCTAssertTrue(adsWaiter.started)
        XCTAssertEqual(ar.count, 0, "the AR SDK waits for the camera")
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        XCTAssertEqual(ar.count, 1)
        try store.revoke(feature: .camera, actor: .user)
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        XCTAssertEqual(ar.count, 1, "once")
        let starts = try store.auditLog(filter: AuditFilter()).filter { $0.kind == .sdkStarted }
        XCTAssertEqual(starts.map(\.sdk), ["ar_filters", "ads"])
    }

    func testACancelledWaiterNeverStartsItsSdk() throws {
        let store = try ConsentStore.openInMemory(config: chineseApp).onScreen()
        let starts = Counter()
        store.whenSdkMayStart("ads") { starts.increment() }.cancel()
        try store.agreeToPolicy(actor: .user)
        XCTAssertEqual(starts.count, 0)
        XCTAssertNil(store.sdkStatus(id: "ads").firstStartedMs)
    }

    func testStreamsAndLiveStatesFollowThePolicyEachSdkAndTheAdSignals() async throws {
        let store = try ConsentStore.openInMemory(config: chineseApp).onScreen()
        let live = ConsentStates(store: store)
        var policies = store.policyStates().makeAsyncIterator()
        let first = await policies.next()
        XCTAssertEqual(first?.status, .notAsked)
        try store.agreeToPolicy(actor: .guardian) // the person turns out a minor below
        let next = await policies.next()
        XCTAssertEqual(next?.status, .agreed)
        XCTAssertEqual(live.policy.status, .agreed)
        XCTAssertEqual(live.sdks.first { $0.id == "ar_filters" }?.blockedBy, .featureNotGranted(feature: .camera))
        var statuses = store.sdkStatuses().makeAsyncIterator()
        let ads = await statuses.next()
        XCTAssertEqual(ads?.id, "ads")
        XCTAssertEqual(ads?.mayStart, true)
        try store.grant(feature: .adPersonalization, scope: .untilRevoked, actor: .user)
        XCTAssertTrue(live.adSignals.personalizedAds)
        // Google Play's Age Signals answer 13–15: a minor in China (14).
        try store.setAgeSignal(signal: AgeSignal(lower: 13, upper: 15, source: .osAgeRange))
        XCTAssertFalse(live.adSignals.personalizedAds, "never personalised for a minor")
        XCTAssertEqual(live.adSignals.adPersonalization, .denied)
        XCTAssertEqual(live.sdks.first { $0.id == "ads" }?.blockedBy, .minor)
        XCTAssertEqual(ageOfDigitalConsent(jurisdiction: "CN"), 14)
    }
}
