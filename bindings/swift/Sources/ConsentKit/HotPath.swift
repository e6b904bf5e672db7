// isAllowed and isActive without a UniFFI call: the store's allowed-features bits and the
// session's active word (src/hot.rs), each read by one C call on the object's own UniFFI handle, instead of lowering the enum into a RustBuffer and
// making a checked Rust call on every question. (scripts/bindings widens the generated
// `handle` from fileprivate to internal for this.)
import ConsentKitHot

extension ConsentStore {
    /// True only while a use session of `feature` is open, consent is granted and the OS
    /// permission is not denied — the core's `is_allowed`, read from the same bits without a
    /// UniFFI call. Never stale: the bits change before a revoke, deny, OS denial, background
    /// or close call returns, on whichever thread made it.
    public func isAllowed(feature: Feature) -> Bool {
        // The handle is valid while this object lives; keep it alive through the call.
        let bits = withExtendedLifetime(self) { consentkit_store_allowed_bits(handle) }
        return bits & (1 << UInt32(feature.hotIndex)) != 0
    }
}

extension UseSession {
    /// True until the session ends, for whatever reason (its end, release, a revoke, an OS
    /// denial, the background, the store closing) — read from the session's word without a
    /// UniFFI call.
    public func isActive() -> Bool {
        withExtendedLifetime(self) { consentkit_session_active(handle) } != 0
    }
}

extension Feature {
    /// The feature's bit: its position in the core's `Feature::ALL` (the order UniFFI declares
    /// the cases in). Written out, as a switch the compiler checks is exhaustive, to keep this
    /// read a table lookup; HotPathTests holds it to the core's answers for every feature.
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
