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
typealias UseInterval = org.consentkit.internal.UseInterval
typealias VerifyReport = org.consentkit.internal.VerifyReport
typealias LogHead = org.consentkit.internal.LogHead
typealias RecoveryNotice = org.consentkit.internal.RecoveryNotice
typealias PolicyState = org.consentkit.internal.PolicyState
typealias PolicyStatus = org.consentkit.internal.PolicyStatus
typealias SdkPolicy = org.consentkit.internal.SdkPolicy
typealias SdkStatus = org.consentkit.internal.SdkStatus
typealias SdkBlock = org.consentkit.internal.SdkBlock
typealias SdkCatalogEntry = org.consentkit.internal.SdkCatalogEntry
typealias AdSignals = org.consentkit.internal.AdSignals
typealias ConsentSignal = org.consentkit.internal.ConsentSignal
typealias AgeSignal = org.consentkit.internal.AgeSignal
typealias AgeSource = org.consentkit.internal.AgeSource
typealias PromptAdvice = org.consentkit.internal.PromptAdvice
typealias Controller = org.consentkit.internal.Controller
typealias PurposeText = org.consentkit.internal.PurposeText
typealias Language = org.consentkit.internal.Language

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
typealias PolicyNotAgreedException = org.consentkit.internal.ConsentException.PolicyNotAgreed
typealias SdkBlockedException = org.consentkit.internal.ConsentException.SdkBlocked
typealias GuardianRequiredException = org.consentkit.internal.ConsentException.GuardianRequired
typealias OnlyDuringException = org.consentkit.internal.ConsentException.OnlyDuring

// Likewise each reason an SDK may not start (`when (status.blockedBy) { is SdkBlockMinor -> … }`).
typealias SdkBlockUnknownSdk = org.consentkit.internal.SdkBlock.UnknownSdk
typealias SdkBlockPolicyNotAgreed = org.consentkit.internal.SdkBlock.PolicyNotAgreed
typealias SdkBlockMinor = org.consentkit.internal.SdkBlock.Minor
typealias SdkBlockFeatureNotGranted = org.consentkit.internal.SdkBlock.FeatureNotGranted
typealias SdkBlockStoreUnavailable = org.consentkit.internal.SdkBlock.StoreUnavailable

// And each piece of prompt advice (`when (store.promptAdvice(f)) { is PromptAdviceNotNow -> … }`).
typealias PromptAdviceAsk = org.consentkit.internal.PromptAdvice.Ask
typealias PromptAdviceAskGuardian = org.consentkit.internal.PromptAdvice.AskGuardian
typealias PromptAdviceNotNow = org.consentkit.internal.PromptAdvice.NotNow
typealias PromptAdviceOpenSettings = org.consentkit.internal.PromptAdvice.OpenSettings
typealias PromptAdviceNoNeed = org.consentkit.internal.PromptAdvice.NoNeed
typealias PromptAdviceAgreeToPolicyFirst = org.consentkit.internal.PromptAdvice.AgreeToPolicyFirst

/** The built-in purposes and terms revision 1 for every feature. */
fun defaultPolicies(): List<FeaturePolicy> = org.consentkit.internal.defaultPolicies()

/** A config for [appId]; features without a policy here get their built-in one. */
fun consentConfig(appId: String, vararg features: FeaturePolicy): ConsentConfig =
    // java.util lists, not Kotlin's `toList()`/`listOf()`: on a JVM, Kotlin's collection
    // facades are classes of thousands of methods whose loading and verification cost this
    // first call ~15 ms (Android verifies them when the app is installed).
    ConsentConfig(
        appId = appId,
        features = java.util.Arrays.asList(*features),
        sdks = java.util.Collections.emptyList(),
    )

/**
 * The language the library's own texts (the HTML report, built-in names and "why"s) come in
 * for [locale]: Simplified Chinese for Chinese in simplified characters, English otherwise.
 */
fun languageFor(locale: java.util.Locale = java.util.Locale.getDefault()): Language =
    org.consentkit.internal.languageForTag(locale.toLanguageTag())

/** The age of digital consent in [jurisdiction] (ISO 3166: `CN`, `DE`, `US-CA`), from the core's table. */
fun ageOfDigitalConsent(jurisdiction: String?): Int =
    org.consentkit.internal.ageOfDigitalConsent(jurisdiction).toInt()

/** Opens the durable store in [dir] (on Android: `File(context.noBackupFilesDir, "consent")`). */
fun openConsentStore(dir: File, config: ConsentConfig): ConsentStore =
    ConsentStore.open(dir.path, config)

/**
 * Runs [block] inside a use session of [feature] for [purpose]; the session ends when the
 * block returns or throws, recorded as ended by the app (`SessionEndReason.ENDED`, as Swift's
 * `withUse`), not as a released handle. Throws a [ConsentException] saying why when the use is
 * refused: when `e.shouldAsk()`, prompt the person, then call again. (`isRefusal()`,
 * `shouldAsk()` and `feature()` come from the Rust core, so no table of error kinds is kept here.)
 */
inline fun <T> ConsentStore.withUse(feature: Feature, purpose: String, block: (UseSession) -> T): T =
    beginUse(feature, purpose).use { session ->
        try {
            block(session)
        } finally {
            session.endQuietly()
        }
    }

/**
 * Ends the session for [withUse]. Like Swift's `try? session.end()`, a failure to record the end
 * is not thrown: it would replace the block's own exception, and releasing the handle (`use {}`)
 * still ends the session.
 */
@PublishedApi
internal fun UseSession.endQuietly() {
    try {
        end()
    } catch (notRecorded: ConsentException) {
        // Ended by the release instead; the store logs why the end was not recorded.
    }
}

/**
 * Live consent state for a Settings › Privacy screen and the first-launch dialog: every
 * feature's state, the privacy policy's, each SDK's status and the ad signals, each a
 * [StateFlow] kept current by one store observer. Close it (or use `use {}`) to unsubscribe.
 */
class ConsentStates(store: ConsentStore) : AutoCloseable {
    private val mutableStates = MutableStateFlow<Map<Feature, FeatureState>>(emptyMap())
    private val mutablePolicy = MutableStateFlow(store.policyState())
    private val mutableSdks = MutableStateFlow<Map<String, SdkStatus>>(emptyMap())
    private val mutableAdSignals = MutableStateFlow(store.adSignals())

    /** Every feature's latest state. */
    val states: StateFlow<Map<Feature, FeatureState>> = mutableStates.asStateFlow()

    /** The privacy policy's latest state: show the dialog, or the basic-mode banner, from it. */
    val policy: StateFlow<PolicyState> = mutablePolicy.asStateFlow()

    /** Each declared SDK's latest status, by id. */
    val sdks: StateFlow<Map<String, SdkStatus>> = mutableSdks.asStateFlow()

    /** What ad SDKs are told now (Consent Mode v2). */
    val adSignals: StateFlow<AdSignals> = mutableAdSignals.asStateFlow()

    // Subscribe first, then read: a change racing with the read is applied after it.
    private val subscription: Subscription = store.subscribe(object : ConsentObserver {
        override fun onChange(change: ConsentChange) {
            change.state?.let { state -> mutableStates.update { it + (state.feature to state) } }
            change.policy?.let { mutablePolicy.value = it }
            change.sdk?.let { status -> mutableSdks.update { it + (status.id to status) } }
            change.adSignals?.let { mutableAdSignals.value = it }
        }
    })

    init {
        val initial = store.states().associateBy { it.feature }
        mutableStates.update { current -> initial + current }
        val sdks = store.sdkCatalog().associate { it.sdk.id to it.status }
        mutableSdks.update { current -> sdks + current }
        mutablePolicy.value = store.policyState()
        mutableAdSignals.value = store.adSignals()
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
