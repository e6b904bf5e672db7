// isAllowed without a UniFFI call: the store's allowed-features bits (src/hot.rs) read through
// a counted reference taken once per store, instead of lowering the enum into a RustBuffer
// and making a checked Rust call on every question.
import ConsentKitHot
import Foundation

/// One store's counted reference to its bits, released with the last user of it.
private final class HotHandle: @unchecked Sendable {
    weak var store: ConsentStore?
    let handle: UInt64

    init(store: ConsentStore) {
        self.store = store
        handle = store.hotReadHandle()
    }

    deinit { consentkit_allowed_bits_release(handle) }
}

/// The handles, by store identity. An identity can be reused once a store is gone, so an
/// entry counts only while its weak reference still points at the same store.
private final class HotHandles: @unchecked Sendable {
    private let lock = NSLock()
    private var handles: [ObjectIdentifier: HotHandle] = [:]

    func handle(for store: ConsentStore) -> HotHandle {
        lock.lock()
        defer { lock.unlock() }
        let key = ObjectIdentifier(store)
        if let hot = handles[key], hot.store === store { return hot }
        let hot = HotHandle(store: store)
        handles[key] = hot
        return hot
    }
}

private let hotHandles = HotHandles()

extension ConsentStore {
    /// True only while a use session of `feature` is open, consent is granted and the OS
    /// permission is not denied — the core's `is_allowed`, read from the same bits without a
    /// UniFFI call. Never stale: the bits change before a revoke, deny, OS denial, background
    /// or close call returns, on whichever thread made it.
    public func isAllowed(feature: Feature) -> Bool {
        let hot = hotHandles.handle(for: self)
        let bits = withExtendedLifetime(hot) { consentkit_allowed_bits(hot.handle) }
        return bits & (1 << UInt32(feature.hotIndex)) != 0
    }
}

extension Feature {
    /// The feature's bit: its position in the core's `Feature::ALL`.
    var hotIndex: Int {
        switch self {
        case .camera: return 0
        case .microphone: return 1
        case .photoLibrary: return 2
        case .clipboard: return 3
        case .motionSensors: return 4
        case .adPersonalization: return 5
        }
    }
}
