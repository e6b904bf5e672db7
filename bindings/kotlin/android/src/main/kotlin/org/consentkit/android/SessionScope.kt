// Platform resources tied to a use session: released exactly once, the moment the session ends for
// any reason the store reports (the app ending it, a revoke, the background, a session it depends
// on ending) or when the app closes the scope.
package org.consentkit.android

import org.consentkit.ConsentChange
import org.consentkit.ConsentException
import org.consentkit.ConsentObserver
import org.consentkit.ConsentStore
import org.consentkit.Subscription
import org.consentkit.UseSession
import org.consentkit.isActive
import java.util.concurrent.atomic.AtomicBoolean

/**
 * Holds [session] and calls [release] once when it ends. Observers are called outside the
 * store's locks, on the thread that made the change, so [release] may call back into the store.
 */
class SessionScope internal constructor(
    private val store: ConsentStore,
    /** The use session the resource lives in. */
    val session: UseSession,
    private val release: () -> Unit,
) : ConsentObserver, AutoCloseable {
    private val released = AtomicBoolean(false)
    private val subscription: Subscription = store.subscribe(this)

    init {
        // The session may have ended before the subscription began.
        if (!session.isActive()) releaseOnce()
    }

    /** Whether the resource is still held: the session is open and nothing released it. */
    val isHeld: Boolean get() = !released.get() && session.isActive()

    override fun onChange(change: ConsentChange) {
        if (!session.isActive()) releaseOnce()
    }

    private fun releaseOnce() {
        if (released.compareAndSet(false, true)) {
            subscription.cancel()
            release()
        }
    }

    /** Releases the resource and ends the session. */
    override fun close() {
        releaseOnce()
        try {
            session.end()
        } catch (alreadyEnded: ConsentException) {
            // Ended already (revoked, backgrounded): nothing more to record.
        }
        session.close()
    }

    companion object {
        /** Begins [session]'s resource with [acquire] (only while the session is open) and its scope. */
        internal fun open(store: ConsentStore, session: UseSession, acquire: () -> Unit, release: () -> Unit): SessionScope {
            if (session.isActive()) acquire()
            return SessionScope(store, session, release)
        }
    }
}
