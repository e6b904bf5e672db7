// Starting third-party SDKs only when the store allows it: the Kotlin side of rule 10.
package org.consentkit

import java.util.concurrent.atomic.AtomicBoolean

/**
 * Runs [start] once, as soon as the SDK [id] may start — now, if it may already — and never
 * before: after the privacy policy is agreed to and the features the SDK requires are
 * granted. The start is recorded (`sdkStarted`) before [start] runs, so the audit log shows
 * it. [start] runs on the thread that made the change that allowed it (the caller's, when it
 * may start at once); hand long work to your own executor.
 *
 * ```
 * store.whenSdkMayStart("ads") { AdsSdk.initialize(context) }
 * ```
 *
 * Close the returned handle to stop waiting (it closes itself once the SDK started). An SDK
 * that later becomes blocked (a revocation, a declined policy) is not stopped by this helper:
 * observe [ConsentStates.sdks] for that.
 */
fun ConsentStore.whenSdkMayStart(id: String, start: () -> Unit): AutoCloseable =
    SdkStarter(this, id, start).also { it.tryStart() }

private class SdkStarter(
    private val store: ConsentStore,
    private val id: String,
    private val start: () -> Unit,
) : AutoCloseable {
    /** Set while a start is being recorded, and for good once it was. */
    private val claimed = AtomicBoolean(false)
    private val closed = AtomicBoolean(false)

    // Subscribed before the first check, so a change racing with it is not missed.
    private val subscription: Subscription = store.subscribe(object : ConsentObserver {
        override fun onChange(change: ConsentChange) {
            if (change.sdk?.id == id && change.sdk?.mayStart == true) tryStart()
        }
    })

    fun tryStart() {
        if (closed.get() || !store.sdkStatus(id).mayStart) return
        // Recording the start changes the SDK's status, which this observer hears at once:
        // claim first so that one start only ever happens.
        if (!claimed.compareAndSet(false, true)) return
        try {
            store.sdkStarted(id)
        } catch (refused: ConsentException) {
            claimed.set(false) // blocked again in between: keep waiting
            return
        }
        close()
        start()
    }

    override fun close() {
        if (closed.compareAndSet(false, true)) subscription.cancel()
    }
}
