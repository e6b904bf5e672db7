// The OS's age range reaches the store with the source it is ranked by (invariant I2): what the
// person declared about themselves is weaker than what a guardian or a check declared, so it may
// tighten the age in force but never loosen it — the store refuses that, and this says so.
import ConsentKit
import Foundation

/// How the OS's age-range service says a range was set — Apple's Declared Age Range
/// (`AgeRangeService.AgeRangeDeclaration`), kept as our own type so the mapping is tested here.
public enum AgeDeclaration: Equatable, Sendable {
    /// The person set their own range.
    case selfDeclared
    /// A parent, guardian or Family Organizer set it.
    case guardianDeclared
    /// Checked by a stronger method (an ID, a payment card, another confirmed check).
    case checked
}

/// An age range from the OS, as Apple's `AgeRangeService.AgeRange` gives it: bounds either side
/// of the app's age gate, and how it was set.
public struct OsAgeRange: Equatable, Sendable {
    public var lowerBound: Int?
    public var upperBound: Int?
    public var declaration: AgeDeclaration?

    public init(lowerBound: Int?, upperBound: Int?, declaration: AgeDeclaration?) {
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.declaration = declaration
    }

    /// The store's signal: never a birth date, and the source that ranks it. A range with no
    /// known declaration counts as the person's own word — doubt ranks it lowest.
    public var signal: AgeSignal {
        let source: AgeSource
        switch declaration {
        case .guardianDeclared: source = .guardian
        case .checked: source = .osAgeRange
        case .selfDeclared, nil: source = .declared
        }
        return AgeSignal(
            lower: UInt32(clamping: max(lowerBound ?? 0, 0)),
            upper: upperBound.map { UInt32(clamping: max($0, 0)) },
            source: source
        )
    }
}

/// The OS's age-range service (Apple's Declared Age Range, iOS 26): a range, or nil when the
/// person declines to share it (or the service is not there).
public protocol OsAgeRangeService: AnyObject {
    func requestAgeRange(ageGate: Int, onResult: @escaping (OsAgeRange?) -> Void)
}

/// Asks the OS for the person's age range and tells the store.
public final class AgeRangeModel {
    private let store: ConsentStore
    private let service: OsAgeRangeService
    private let ageGate: Int
    /// Why the last range was not taken, when it was not (a self-declared range over a
    /// guardian's), for the Settings screen.
    public private(set) var notice: String?

    public init(store: ConsentStore, service: OsAgeRangeService, ageGate: Int) {
        self.store = store
        self.service = service
        self.ageGate = ageGate
    }

    /// Asks now (at launch and on each return to the foreground: a range can change).
    public func refresh() {
        service.requestAgeRange(ageGate: ageGate) { [weak self] range in
            guard let self, let range else { return }
            do {
                try self.store.setAgeSignal(signal: range.signal)
                self.notice = nil
            } catch let error as ConsentError {
                self.notice = error.localizedDescription
            } catch {
                self.notice = "\(error)"
            }
        }
    }
}
