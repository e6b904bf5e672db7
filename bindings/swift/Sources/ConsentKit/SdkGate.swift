// Starting third-party SDKs only when the store allows it (rule 10), and streams of the
// policy's state and the SDKs' statuses.
import Foundation

extension ConsentStore {
    /// Runs `start` once, as soon as the SDK `id` may start — now, if it may already — and
    /// never before: after the privacy policy is agreed to and the features the SDK requires
    /// are granted. The start is recorded (`sdkStarted`) before `start` runs, so the audit log
    /// shows it. `start` runs on the thread that made the change that allowed it (the
    /// caller's, when it may start at once): dispatch UI or long work yourself.
    ///
    ///     store.whenSdkMayStart("ads") { AdsSDK.start() }
    ///
    /// The waiter stays registered until the SDK starts or `cancel()` is called; an SDK that
    /// later becomes blocked is not stopped by it (observe `ConsentStates.sdks` for that).
    @discardableResult
    public func whenSdkMayStart(_ id: String, _ start: @escaping @Sendable () -> Void) -> SdkStartWaiter {
        let waiter = SdkStartWaiter(store: self, id: id, start: start)
        waiter.tryStart()
        return waiter
    }

    /// The privacy policy's state now, then after each change, for as long as it is iterated.
    public func policyStates() -> AsyncStream<PolicyState> {
        AsyncStream { continuation in
            let subscription = subscribe { change in
                if let policy = change.policy { continuation.yield(policy) }
            }
            continuation.yield(policyState())
            continuation.onTermination = { _ in subscription.cancel() }
        }
    }

    /// Every declared SDK's status now, then each status that changes, for as long as it is
    /// iterated: start an SDK when it may, stop it when it may not any more.
    public func sdkStatuses() -> AsyncStream<SdkStatus> {
        AsyncStream { continuation in
            let subscription = subscribe { change in
                if let status = change.sdk { continuation.yield(status) }
            }
            for entry in sdkCatalog() { continuation.yield(entry.status) }
            continuation.onTermination = { _ in subscription.cancel() }
        }
    }
}

/// Waits for one SDK to be allowed to start; see `ConsentStore.whenSdkMayStart`.
public final class SdkStartWaiter: @unchecked Sendable {
    private let store: ConsentStore
    private let id: String
    private let start: @Sendable () -> Void
    private let lock = NSLock()
    /// Set while a start is being recorded, and for good once it was.
    private var claimed = false
    private var cancelled = false
    private var subscription: Subscription?

    init(store: ConsentStore, id: String, start: @escaping @Sendable () -> Void) {
        self.store = store
        self.id = id
        self.start = start
        // Subscribed before the first check, so a change racing with it is not missed.
        subscription = store.subscribe { [self] change in
            if change.sdk?.id == id, change.sdk?.mayStart == true { tryStart() }
        }
    }

    /// True once the SDK was started (and its start recorded).
    public var started: Bool {
        lock.lock()
        defer { lock.unlock() }
        return claimed && cancelled
    }

    func tryStart() {
        guard store.sdkStatus(id: id).mayStart else { return }
        // Recording the start changes the SDK's status, which this waiter hears at once:
        // claim first so that one start only ever happens.
        lock.lock()
        if cancelled || claimed {
            lock.unlock()
            return
        }
        claimed = true
        lock.unlock()
        do {
            try store.sdkStarted(id: id)
        } catch {
            lock.lock()
            claimed = false // blocked again in between: keep waiting
            lock.unlock()
            return
        }
        cancel()
        start()
    }

    /// Stops waiting; idempotent.
    public func cancel() {
        lock.lock()
        let subscription = cancelled ? nil : self.subscription
        cancelled = true
        self.subscription = nil
        lock.unlock()
        subscription?.cancel()
    }
}
