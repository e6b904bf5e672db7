import ConsentKit
import Foundation
import XCTest

/// `isAllowed` through the hot read path: the core's answer, never stale, from any thread.
final class HotPathTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("consentkit-hot-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func open(_ name: String = "store") throws -> ConsentStore {
        try ConsentStore.open(directory: dir.appendingPathComponent(name), config: ConsentConfig(appId: "com.example.camera")).onScreen()
    }

    /// The feature bit order (`hotIndex`, HotPath.swift) is held to the core's here: with each
    /// feature in use alone, every feature's bit must give the core's own answer.
    func testEachFeatureAnswersFromItsOwnBitAsTheCoreStateSays() throws {
        let store = try open()
        // Every feature the core has, from its default policies: a new one is never left out.
        let policies = defaultPolicies()
        let features = policies.map(\.feature)
        for feature in features { try store.grant(feature: feature, scope: .untilRevoked, actor: .user) }
        for policy in policies {
            let feature = policy.feature
            // A feature used only during another's use (motion sensors while the camera shoots).
            let during = try policy.onlyDuring.map { other in
                try store.beginUse(feature: other, purpose: policies.first { $0.feature == other }!.purposes[0])
            }
            let inUse = Set([feature] + (during.map { [$0.feature()] } ?? []))
            try store.withUse(feature, purpose: policy.purposes[0]) { _ in
                for other in features {
                    XCTAssertEqual(store.isAllowed(feature: other), inUse.contains(other), "\(other) while \(inUse) in use")
                    XCTAssertEqual(store.isAllowed(feature: other), store.state(feature: other).allowed)
                }
            }
            try during?.end()
            XCTAssertFalse(store.isAllowed(feature: feature))
        }
    }

    func testAfterATurnOffCallReturnsNoThreadReadsTheOldAnswer() throws {
        let turnOffs: [(String, (ConsentStore) throws -> Void)] = [
            ("revoke", { try $0.revoke(feature: .camera, actor: .user) }),
            ("deny", { try $0.deny(feature: .camera, actor: .user) }),
            ("OS denial", { try $0.setOsPermission(feature: .camera, permission: .denied) }),
            ("background", { try $0.setForeground(foreground: false) }),
            ("the session's end", { _ in }), // ended below, by its own end()
        ]
        for (name, turnOff) in turnOffs {
            for round in 0..<20 {
                let store = try open("\(name)-\(round)")
                try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
                let session = try store.beginUse(feature: .camera, purpose: "shoot_photo")
                let returned = Flag(), stale = Flag(), started = DispatchGroup(), done = DispatchGroup()
                for _ in 0..<4 {
                    started.enter()
                    done.enter()
                    Thread.detachNewThread {
                        started.leave()
                        var after = 0
                        while after < 1_000 {
                            let turnedOff = returned.isSet // read before the answer
                            let inUse = store.isAllowed(feature: .camera) || session.isActive()
                            if inUse && turnedOff { stale.set() }
                            if turnedOff { after += 1 }
                        }
                        done.leave()
                    }
                }
                started.wait()
                XCTAssertTrue(store.isAllowed(feature: .camera) && session.isActive())
                try turnOff(store)
                if name == "the session's end" { try session.end() }
                returned.set()
                done.wait()
                XCTAssertFalse(stale.isSet, "\(name), round \(round): an answer read after the call returned was stale")
                XCTAssertFalse(session.isActive())
            }
        }
    }

    func testTwoStoresAnswerForThemselvesAndAStoreMadeAfterAnotherIsGoneIsNotConfused() throws {
        let a = try open("a")
        let b = try open("b")
        try a.grant(feature: .camera, scope: .untilRevoked, actor: .user)
        let session = try a.beginUse(feature: .camera, purpose: "shoot_photo")
        XCTAssertTrue(a.isAllowed(feature: .camera))
        XCTAssertFalse(b.isAllowed(feature: .camera))
        try session.end()
        // Stores made and released in turn may reuse an address: each answers for itself.
        for i in 0..<50 {
            let store = try open("c\(i)")
            try store.grant(feature: .clipboard, scope: .untilRevoked, actor: .user)
            if i % 2 == 0 {
                try store.withUse(.clipboard, purpose: "share_code") { _ in
                    XCTAssertTrue(store.isAllowed(feature: .clipboard))
                }
            }
            XCTAssertFalse(store.isAllowed(feature: .clipboard))
        }
    }
}

/// A flag set once, read from any thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
