import CameraSampleModel
import ConsentKit
import Foundation
import XCTest

/// Answers with the ranges queued, one per request.
final class FakeAgeRanges: OsAgeRangeService {
    var answers: [OsAgeRange?] = []
    func requestAgeRange(ageGate: Int, onResult: @escaping (OsAgeRange?) -> Void) {
        onResult(answers.isEmpty ? nil : answers.removeFirst())
    }
}

final class AgeRangeModelTests: XCTestCase {
    func testHowARangeWasDeclaredIsTheSourceTheStoreRanksItBy() {
        let range = { (d: AgeDeclaration?) in OsAgeRange(lowerBound: 13, upperBound: 15, declaration: d) }
        XCTAssertEqual(range(.selfDeclared).signal.source, .declared)
        XCTAssertEqual(range(.guardianDeclared).signal.source, .guardian)
        XCTAssertEqual(range(.checked).signal.source, .osAgeRange)
        XCTAssertEqual(range(nil).signal.source, .declared, "doubt ranks lowest")
        XCTAssertEqual(OsAgeRange(lowerBound: nil, upperBound: 12, declaration: .guardianDeclared).signal,
                       AgeSignal(lower: 0, upper: 12, source: .guardian))
        XCTAssertEqual(OsAgeRange(lowerBound: 18, upperBound: nil, declaration: .checked).signal,
                       AgeSignal(atLeast: 18, source: .osAgeRange))
    }

    func testAChildsOwnAdultRangeNeverLoosensTheGuardiansAndAConfirmedOneDoes() throws {
        let store = try ConsentStore.openInMemory(config: ConsentConfig(appId: "com.example.camera", jurisdiction: "CN"))
        try store.setForeground(foreground: true)
        let service = FakeAgeRanges()
        let model = AgeRangeModel(store: store, service: service, ageGate: 14)
        service.answers = [
            OsAgeRange(lowerBound: 10, upperBound: 12, declaration: .guardianDeclared),
            OsAgeRange(lowerBound: 18, upperBound: nil, declaration: .selfDeclared),
            OsAgeRange(lowerBound: 18, upperBound: nil, declaration: .checked),
        ]
        model.refresh()
        XCTAssertEqual(store.ageSignal(), AgeSignal(10...12, source: .guardian))
        model.refresh()
        XCTAssertEqual(store.ageSignal(), AgeSignal(10...12, source: .guardian), "the child's own word cannot loosen it")
        XCTAssertNotNil(model.notice)
        XCTAssertThrowsError(try store.grant(feature: .camera, scope: .untilRevoked, actor: .user))
        model.refresh()
        XCTAssertEqual(store.ageSignal(), AgeSignal(atLeast: 18, source: .osAgeRange))
        XCTAssertNil(model.notice)
        try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
    }
}
