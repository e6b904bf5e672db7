// The public Kotlin surface of consentkit: the generated types under their public names, and
// the small idiomatic layer apps use (StateFlow of states, Flow of changes, scoped use).
package org.consentkit

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.update
import java.io.File

typealias ConsentStore = org.consentkit.internal.ConsentStore
typealias UseSession = org.consentkit.internal.UseSession
typealias Subscription = org.consentkit.internal.Subscription
typealias ConsentObserver = org.consentkit.internal.ConsentObserver
typealias ConsentException = org.consentkit.internal.ConsentException
typealias Feature = org.consentkit.internal.Feature
typealias ConsentStatus = org.consentkit.internal.ConsentStatus
typealias GrantScope = org.consentkit.internal.GrantScope
typealias Actor = org.consentkit.internal.Actor
typealias OsPermission = org.consentkit.internal.OsPermission
typealias ConsentConfig = org.consentkit.internal.ConsentConfig
typealias FeaturePolicy = org.consentkit.internal.FeaturePolicy
typealias FeatureState = org.consentkit.internal.FeatureState
typealias ConsentChange = org.consentkit.internal.ConsentChange
typealias AuditKind = org.consentkit.internal.AuditKind
typealias AuditEntry = org.consentkit.internal.AuditEntry
typealias AuditFilter = org.consentkit.internal.AuditFilter
typealias SessionEndReason = org.consentkit.internal.SessionEndReason
typealias RefusalReason = org.consentkit.internal.RefusalReason
typealias PrivacyReport = org.consentkit.internal.PrivacyReport
typealias FeatureReport = org.consentkit.internal.FeatureReport
typealias PurposeUse = org.consentkit.internal.PurposeUse
typealias VerifyReport = org.consentkit.internal.VerifyReport
typealias LogHead = org.consentkit.internal.LogHead
typealias RecoveryNotice = org.consentkit.internal.RecoveryNotice

// Kotlin cannot reach nested classes through a typealias, so each ConsentException subclass
// gets its own public name.
typealias ConsentRequiredException = org.consentkit.internal.ConsentException.ConsentRequired
typealias ConsentDeniedException = org.consentkit.internal.ConsentException.Denied
typealias NeedsReconsentException = org.consentkit.internal.ConsentException.NeedsReconsent
typealias OsPermissionDeniedException = org.consentkit.internal.ConsentException.OsPermissionDenied
typealias InBackgroundException = org.consentkit.internal.ConsentException.InBackground
typealias SingleUseInProgressException = org.consentkit.internal.ConsentException.SingleUseInProgress
typealias UnknownPurposeException = org.consentkit.internal.ConsentException.UnknownPurpose
typealias InvalidArgumentException = org.consentkit.internal.ConsentException.InvalidArgument
typealias InvalidConfigException = org.consentkit.internal.ConsentException.InvalidConfig
typealias WrongStoreException = org.consentkit.internal.ConsentException.WrongStore
typealias NotPermittedException = org.consentkit.internal.ConsentException.NotPermitted
typealias StoreLockedException = org.consentkit.internal.ConsentException.StoreLocked
typealias StorageException = org.consentkit.internal.ConsentException.Storage
typealias StoreClosedException = org.consentkit.internal.ConsentException.Closed

/** The built-in purposes and terms revision 1 for every feature. */
fun defaultPolicies(): List<FeaturePolicy> = org.consentkit.internal.defaultPolicies()

/** A config for [appId]; features without a policy here get their built-in one. */
fun consentConfig(appId: String, vararg features: FeaturePolicy): ConsentConfig =
    ConsentConfig(appId = appId, features = features.toList())

/** Opens the durable store in [dir] (on Android: `File(context.noBackupFilesDir, "consent")`). */
fun openConsentStore(dir: File, config: ConsentConfig): ConsentStore =
    ConsentStore.open(dir.path, config)

/**
 * Runs [block] inside a use session of [feature] for [purpose]; the session ends when the
 * block returns or throws. Throws a [ConsentException] saying why when the use is refused:
 * when `e.shouldAsk()`, prompt the person, then call again. (`isRefusal()`, `shouldAsk()` and
 * `feature()` come from the Rust core, so no table of error kinds is kept here.)
 */
inline fun <T> ConsentStore.withUse(feature: Feature, purpose: String, block: (UseSession) -> T): T =
    beginUse(feature, purpose).use(block)

/**
 * Live states of every feature, for a Settings › Privacy screen: a [StateFlow] kept current
 * by a store observer. Close it (or use `use {}`) to unsubscribe.
 */
class ConsentStates(store: ConsentStore) : AutoCloseable {
    private val mutableStates = MutableStateFlow<Map<Feature, FeatureState>>(emptyMap())

    /** Every feature's latest state. */
    val states: StateFlow<Map<Feature, FeatureState>> = mutableStates.asStateFlow()

    // Subscribe first, then read: a change racing with the read is applied after it.
    private val subscription: Subscription = store.subscribe(object : ConsentObserver {
        override fun onChange(change: ConsentChange) {
            mutableStates.update { it + (change.feature to change.state) }
        }
    })

    init {
        val initial = store.states().associateBy { it.feature }
        mutableStates.update { current -> initial + current }
    }

    /** The latest state of one feature. */
    operator fun get(feature: Feature): FeatureState = states.value.getValue(feature)

    override fun close() = subscription.cancel()
}

/** Live states of every feature; close the result to unsubscribe. */
fun ConsentStore.stateFlow(): ConsentStates = ConsentStates(this)

/**
 * Every change as a cold [Flow]: each collector subscribes while it collects. Changes are
 * buffered, so a slow collector never blocks the store.
 */
fun ConsentStore.changes(): Flow<ConsentChange> = callbackFlow {
    val subscription = subscribe(object : ConsentObserver {
        override fun onChange(change: ConsentChange) {
            trySend(change)
        }
    })
    awaitClose { subscription.cancel() }
}.buffer(Channel.UNLIMITED)
