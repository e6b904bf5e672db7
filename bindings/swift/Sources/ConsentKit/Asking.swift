// Asking that fits the person: purposes asked for on their own, prompt advice, age ranges.
import Foundation

extension PromptAdvice {
    /// True when the app should show its prompt now (to the person, or to their guardian).
    public var shouldPrompt: Bool {
        switch self {
        case .ask, .askGuardian: return true
        default: return false
        }
    }
}

extension ConsentStore {
    /// The prompt advice that fits a refused use: the policy dialog's in basic mode, otherwise
    /// the refused feature's — `.noNeed` when the refusal is not about asking (a malformed purpose).
    public func advice(for refused: ConsentError) -> PromptAdvice {
        if refused.needsPolicyAgreement() { return policyPromptAdvice() }
        guard let feature = refused.feature() else { return .noNeed }
        return promptAdvice(feature: feature)
    }

    /// Grants `feature` for these purposes only (added to what a standing grant covers).
    public func grant(_ feature: Feature, purposes: String..., scope: GrantScope = .untilRevoked, actor: Actor = .user) throws {
        try grantPurposes(feature: feature, purposes: purposes, scope: scope, actor: actor)
    }
}

extension AgeSignal {
    /// An age range in whole years, never a birth date: `AgeSignal(13...15, source: .osAgeRange)`.
    public init(_ range: ClosedRange<UInt32>, source: AgeSource) {
        self.init(lower: range.lowerBound, upper: range.upperBound, source: source)
    }

    /// "`lower` or older", as in 18+.
    public init(atLeast lower: UInt32, source: AgeSource) {
        self.init(lower: lower, upper: nil, source: source)
    }
}
