// The idiomatic Swift layer over the generated bindings: an AsyncStream of changes, scoped
// use, live states for SwiftUI (Observation), and error helpers. Sessions end when released (deinit).
import Foundation
import Observation

extension ConsentConfig {
    /// A config for `appId` with the built-in policy of every feature.
    public init(appId: String) {
        self.init(appId: appId, features: [])
    }
}

extension Language {
    /// The language the library's own texts (the HTML report, built-in names and "why"s) come
    /// in for `locale`: Simplified Chinese for Chinese in simplified characters, else English.
    public static func forLocale(_ locale: Locale = .current) -> Language {
        languageForTag(tag: locale.identifier)
    }
}

extension ConsentStore {
    /// Opens the durable store in `directory` (for example Application Support/consent).
    public static func open(directory: URL, config: ConsentConfig) throws -> ConsentStore {
        try open(dir: directory.path, config: config)
    }

    /// Runs `body` inside a use session of `feature` for `purpose`; the session ends when
    /// `body` returns or throws. Throws `ConsentError` saying why when the use is refused.
    public func withUse<T>(_ feature: Feature, purpose: String, _ body: (UseSession) throws -> T) throws -> T {
        let session = try beginUse(feature: feature, purpose: purpose)
        defer { try? session.end() }
        return try body(session)
    }

    /// Calls `onChange` with every change, in log order, on the thread that made it, until the
    /// subscription is cancelled or released. It may call back into the store.
    ///
    ///     let subscription = store.subscribe { change in refresh() }
    public func subscribe(_ onChange: @escaping @Sendable (ConsentChange) -> Void) -> Subscription {
        subscribe(observer: ChangeHandler(onChange))
    }

    /// Every change, in log order, for as long as the stream is iterated. Buffered, so a
    /// slow consumer never blocks the store; ending the iteration unsubscribes.
    public func changes() -> AsyncStream<ConsentChange> {
        AsyncStream { continuation in
            let subscription = subscribe { change in continuation.yield(change) }
            continuation.onTermination = { _ in subscription.cancel() }
        }
    }
}

/// The one `ConsentObserver` of the Swift layer: hands each change to a closure.
private final class ChangeHandler: ConsentObserver, @unchecked Sendable {
    private let onChange: @Sendable (ConsentChange) -> Void
    init(_ onChange: @escaping @Sendable (ConsentChange) -> Void) { self.onChange = onChange }
    func onChange(change: ConsentChange) { onChange(change) }
}

// `ConsentError` gets `isRefusal()`, `shouldAsk()` and `feature()` from the Rust core: which
// errors are refusals, and which ask the person now, is decided in one place for every language.

/// Live consent state for a Settings › Privacy screen and the first-launch dialog — every
/// feature's state, the privacy policy's, each SDK's status and the ad signals — kept current
/// by one store observer. `Observable`: a SwiftUI view (or `withObservationTracking`) that
/// reads a property is told when it changes. It conforms through an `ObservationRegistrar`,
/// as the `@Observable` macro does, but keeps its values under a lock, because the store
/// reports changes on the thread that made them. Releasing it unsubscribes.
public final class ConsentStates: Observable, @unchecked Sendable {
    private let registrar = ObservationRegistrar()
    private let lock = NSLock()
    private var current: [FeatureState]
    private var currentPolicy: PolicyState
    private var currentSdks: [SdkStatus]
    private var currentAdSignals: AdSignals
    private var subscription: Subscription?

    public init(store: ConsentStore) {
        current = []
        currentPolicy = store.policyState()
        currentSdks = []
        currentAdSignals = store.adSignals()
        // Subscribe first, then read: a change racing with the read is applied after it.
        subscription = store.subscribe { [weak self] change in self?.apply(change) }
        let initial = store.states()
        let sdks = store.sdkCatalog().map(\.status)
        let policy = store.policyState()
        let adSignals = store.adSignals()
        lock.lock()
        current = initial.map { state in current.first { $0.feature == state.feature } ?? state }
        currentSdks = sdks.map { status in currentSdks.first { $0.id == status.id } ?? status }
        if !heardPolicy { currentPolicy = policy }
        if !heardAdSignals { currentAdSignals = adSignals }
        lock.unlock()
    }

    private var heardPolicy = false
    private var heardAdSignals = false

    /// The privacy policy's latest state: show the dialog, or the basic-mode banner, from it.
    public var policy: PolicyState {
        registrar.access(self, keyPath: \.policy)
        lock.lock()
        defer { lock.unlock() }
        return currentPolicy
    }

    /// Each declared SDK's latest status, in the config's order.
    public var sdks: [SdkStatus] {
        registrar.access(self, keyPath: \.sdks)
        lock.lock()
        defer { lock.unlock() }
        return currentSdks
    }

    /// What ad SDKs are told now (Consent Mode v2).
    public var adSignals: AdSignals {
        registrar.access(self, keyPath: \.adSignals)
        lock.lock()
        defer { lock.unlock() }
        return currentAdSignals
    }

    /// Every feature's latest state, in the store's order.
    public var states: [FeatureState] {
        registrar.access(self, keyPath: \.states)
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// The latest state of one feature.
    public subscript(feature: Feature) -> FeatureState? {
        states.first { $0.feature == feature }
    }

    /// Runs `body` under the lock, telling observers of `keyPath` around it (never while
    /// the lock is held by anyone they might call back into).
    private func mutate<Value>(_ keyPath: KeyPath<ConsentStates, Value>, _ body: () -> Void) {
        registrar.withMutation(of: self, keyPath: keyPath) {
            lock.lock()
            defer { lock.unlock() }
            body()
        }
    }

    private func apply(_ change: ConsentChange) {
        if let state = change.state {
            mutate(\.states) {
                if let index = current.firstIndex(where: { $0.feature == state.feature }) {
                    current[index] = state
                } else {
                    current.append(state)
                }
            }
        }
        if let policy = change.policy {
            mutate(\.policy) {
                currentPolicy = policy
                heardPolicy = true
            }
        }
        if let status = change.sdk {
            mutate(\.sdks) {
                if let index = currentSdks.firstIndex(where: { $0.id == status.id }) {
                    currentSdks[index] = status
                } else {
                    currentSdks.append(status)
                }
            }
        }
        if let adSignals = change.adSignals {
            mutate(\.adSignals) {
                currentAdSignals = adSignals
                heardAdSignals = true
            }
        }
    }
}

