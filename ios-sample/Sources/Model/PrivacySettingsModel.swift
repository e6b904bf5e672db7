// Settings › Privacy: a toggle and the "why" lines per feature, export, and delete.
import ConsentKit
import Foundation
import Observation

public struct FeatureRow: Equatable {
    public let feature: Feature
    public let title: String
    public let status: ConsentStatus
    public let osPermission: OsPermission
    /// The toggle: on only while consent is granted.
    public let enabled: Bool
    public let inUse: Bool
    /// One "why we need this" line per declared purpose.
    public let why: [String]
}

public struct PrivacySettingsState: Equatable {
    public var rows: [FeatureRow] = []
    /// Set when the store was found damaged: everything is off, and this says why.
    public var damage: String?
    public var confirmingDelete = false
    public var notice: String?
}

@Observable
public final class PrivacySettingsModel: @unchecked Sendable {
    public private(set) var state = PrivacySettingsState()

    private let store: ConsentStore
    private let sharer: Sharer
    @ObservationIgnored private var subscription: Subscription?

    public init(store: ConsentStore, sharer: Sharer) {
        self.store = store
        self.sharer = sharer
        subscription = store.subscribe { [weak self] _ in self?.refresh() }
        refresh()
    }

    deinit { subscription?.cancel() }

    public func row(_ feature: Feature) -> FeatureRow? { state.rows.first { $0.feature == feature } }

    /// The ad-personalisation switch, as the policy names it.
    public var adsPersonalization: FeatureRow? { row(.adPersonalization) }

    /// A toggle in Settings is the user's explicit decision.
    public func setEnabled(_ feature: Feature, _ enabled: Bool) {
        if enabled {
            try? store.grant(feature: feature, scope: .untilRevoked, actor: .user)
        } else {
            try? store.revoke(feature: feature, actor: .user)
        }
        refresh()
    }

    public func setAdsPersonalization(_ enabled: Bool) { setEnabled(.adPersonalization, enabled) }

    /// Right of access and portability: shares everything the store holds as JSON.
    public func exportMyData() throws {
        sharer.share(fileName: "consent-export.json", mimeType: "application/json", content: try store.exportJson())
    }

    public func requestDelete() { state.confirmingDelete = true }

    public func cancelDelete() { state.confirmingDelete = false }

    /// Right to deletion, after confirmation.
    public func confirmDelete() throws {
        try store.eraseAll()
        state.confirmingDelete = false
        state.notice = "Your consent history was deleted."
        refresh()
    }

    private func refresh() {
        let rows = store.states().map { s in
            FeatureRow(feature: s.feature, title: Texts.title(s.feature), status: s.status, osPermission: s.osPermission,
                       enabled: s.status == .granted, inUse: s.activeSessions > 0, why: s.purposes.map(Texts.why))
        }
        let damage = store.recoveryNotice().map {
            "Your privacy settings were found damaged (\($0.problem)), so everything was turned off. The damaged copy was kept."
        }
        state.rows = rows
        state.damage = damage
    }
}
