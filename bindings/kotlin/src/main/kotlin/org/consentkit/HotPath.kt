// isAllowed and isActive without a UniFFI call. UniFFI's JNA backend spends tens of
// microseconds per call (a handle clone, an enum lowered through a RustBuffer, three status
// structures); the hot read path (src/hot.rs) instead reads the store's allowed-features bits,
// or a session's active word, with one JNA direct-mapped C call through a counted reference
// taken once per object.
package org.consentkit

import com.sun.jna.Native
import com.sun.jna.NativeLibrary
import com.sun.jna.internal.Cleaner
import java.util.WeakHashMap

/** The two C functions of the hot read path, bound by JNA direct mapping (no marshalling). */
internal object HotPath {
    init {
        // The library UniFFI's bindings load, under the same name and override.
        val name = System.getProperty("uniffi.component.consentkit.libraryOverride") ?: "consentkit"
        Native.register(HotPath::class.java, NativeLibrary.getInstance(name))
    }

    @JvmStatic external fun consentkit_hot_word(handle: Long): Int

    @JvmStatic external fun consentkit_hot_word_release(handle: Long)
}

/** One object's counted reference to its word, released once this holder is collected. */
private class HotHandle(private val handle: Long) {
    @Volatile
    private var reachable = true

    init {
        val raw = handle // the clean-up must capture the number, not this object
        Cleaner.getCleaner().register(this) { HotPath.consentkit_hot_word_release(raw) }
    }

    fun word(): Int {
        val bits = HotPath.consentkit_hot_word(handle)
        // A volatile read after the call keeps this object — and so the reference — alive
        // until the call has returned, even if the caller drops it meanwhile.
        if (!reachable) error("unreachable")
        return bits
    }
}

// By object identity (the generated classes keep Object's equals); an entry goes with its object.
private val hotHandles = WeakHashMap<Any, HotHandle>()

private fun hotHandle(owner: Any, take: () -> ULong): HotHandle =
    synchronized(hotHandles) { hotHandles.getOrPut(owner) { HotHandle(take().toLong()) } }

/**
 * True only while a use session of [feature] is open, consent is granted and the OS permission
 * is not denied — the Rust core's `is_allowed`, read from the same bits without a UniFFI call
 * (about 0.1 µs instead of tens). Never stale: the bits change before a revoke, deny, OS denial,
 * background or close call returns, on whichever thread made it.
 */
fun ConsentStore.isAllowed(feature: Feature): Boolean =
    // Bit i is the core's Feature::ALL[i], the order UniFFI declares the enum in; HotPathTest
    // holds each feature's bit to the core's own answer.
    hotHandle(this) { hotReadHandle() }.word() and (1 shl feature.ordinal) != 0

/**
 * True until the session ends, for whatever reason (its end, release, a revoke, an OS denial,
 * the background, the store closing) — read from the session's word without a UniFFI call.
 */
fun UseSession.isActive(): Boolean = hotHandle(this) { hotReadHandle() }.word() != 0
