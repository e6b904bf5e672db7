// The privacy policy as a whole: the first-launch dialog and basic mode, the third-party SDK
// catalogue the policy links to, and the ad signals the ad SDKs receive.
package org.consentkit.sample.model

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.consentkit.Actor
import org.consentkit.AgeSource
import org.consentkit.ConsentChange
import org.consentkit.ConsentException
import org.consentkit.ConsentObserver
import org.consentkit.ConsentStore
import org.consentkit.PolicyStatus
import org.consentkit.SdkBlock
import org.consentkit.SdkBlockFeatureNotGranted
import org.consentkit.SdkBlockMinor
import org.consentkit.SdkBlockPolicyNotAgreed
import org.consentkit.SdkBlockStoreUnavailable
import org.consentkit.SdkBlockUnknownSdk
import org.consentkit.PromptAdviceAskGuardian
import org.consentkit.ageRange
import org.consentkit.shouldPrompt
import java.time.Instant

/** One line of Settings › Privacy › Third-party SDKs. */
data class SdkRow(
    val id: String,
    val name: String,
    val vendor: String,
    val purpose: String,
    val dataCollected: List<String>,
    val mayStart: Boolean,
    /** "Running", or why it is held. */
    val status: String,
    val firstStarted: String?,
)

data class PolicyUiState(
    /** The app asks for agreement to its policy as a whole. */
    val required: Boolean = false,
    val status: PolicyStatus = PolicyStatus.NOT_REQUIRED,
    val revision: Int? = null,
    /** Nothing can be used or granted, no SDK starts: the app shows what works without them. */
    val basicMode: Boolean = false,
    /** The policy dialog is on screen: at first launch, after a new revision, or on review. */
    val dialogShown: Boolean = false,
    val notice: String? = null,
    val sdks: List<SdkRow> = emptyList(),
    /** What the ad SDKs are told, in Consent Mode's words. */
    val adSignals: String = "",
    val personalizedAds: Boolean = false,
    /** Below this age a guardian agrees for the person (14 in China: PIPL art. 31). */
    val ageOfConsent: Int = 14,
    /** The store counts the person as a minor: only a guardian's agreement counts. */
    val minor: Boolean = false,
)

/**
 * The first-launch dialog: agreement to the policy, and the age step a Chinese app shows with
 * it. The person's own word about their age is a self-declared signal: it can say they are
 * younger than a guardian or the OS said, never older (the store refuses that), and for a
 * minor the agreement recorded is the guardian's.
 */
class PolicyViewModel(private val store: ConsentStore, private val ageOfConsent: Int = 14) : AutoCloseable {
    private val mutableState = MutableStateFlow(PolicyUiState())
    val state: StateFlow<PolicyUiState> = mutableState.asStateFlow()

    private val subscription = store.subscribe(object : ConsentObserver {
        override fun onChange(change: ConsentChange) {
            if (change.policy != null || change.sdk != null || change.adSignals != null) refresh()
        }
    })

    init {
        refresh()
        // First launch (or a new revision): the dialog comes before anything else.
        mutableState.update { it.copy(dialogShown = store.policyPromptAdvice().shouldPrompt) }
    }

    /** Agrees — as the guardian, when the person is a minor (the dialog says who agrees). */
    fun agree() = decide { store.agreeToPolicy(if (state.value.minor) Actor.GUARDIAN else Actor.USER) }

    /** The dialog's "I am under 14": the person's own word, recorded as such. */
    fun declareUnderAge() {
        try {
            store.setAgeSignal(ageRange(0, ageOfConsent - 1, AgeSource.DECLARED))
        } catch (refused: ConsentException) {
            mutableState.update { it.copy(notice = refused.message) }
        }
        refresh()
    }

    fun decline() = decide {
        store.declinePolicy(Actor.USER)
        mutableState.update { it.copy(notice = "Basic mode: the camera and the SDKs stay off until you agree.") }
    }

    /** The basic-mode banner's "Review the policy". */
    fun review() = mutableState.update { it.copy(dialogShown = true, notice = null) }

    override fun close() = subscription.cancel()

    private fun decide(decision: () -> Unit) {
        try {
            mutableState.update { it.copy(dialogShown = false, notice = null) }
            decision()
        } catch (refused: ConsentException) {
            mutableState.update { it.copy(dialogShown = false, notice = refused.message) }
        }
        refresh()
    }

    private fun refresh() {
        val policy = store.policyState()
        val ads = store.adSignals()
        val sdks = store.sdkCatalog().map { entry ->
            SdkRow(
                id = entry.sdk.id,
                name = entry.sdk.name,
                vendor = entry.sdk.vendor,
                purpose = entry.sdk.purpose,
                dataCollected = entry.sdk.dataCollected,
                mayStart = entry.status.mayStart,
                status = entry.status.blockedBy?.let(::heldBecause) ?: "Allowed to run",
                firstStarted = entry.status.firstStartedMs?.let { Instant.ofEpochMilli(it).toString() },
            )
        }
        val signals = listOf(
            "ad_storage" to ads.adStorage,
            "ad_user_data" to ads.adUserData,
            "ad_personalization" to ads.adPersonalization,
            "analytics_storage" to ads.analyticsStorage,
        ).joinToString(" · ") { (name, value) -> "$name ${value.name.lowercase()}" }
        mutableState.update {
            it.copy(
                required = policy.revision != null,
                status = policy.status,
                revision = policy.revision?.toInt(),
                basicMode = policy.basicMode,
                sdks = sdks,
                adSignals = signals,
                personalizedAds = ads.personalizedAds,
                ageOfConsent = ageOfConsent,
                minor = store.policyPromptAdvice() is PromptAdviceAskGuardian,
            )
        }
    }

    companion object {
        fun heldBecause(block: SdkBlock): String = when (block) {
            is SdkBlockPolicyNotAgreed -> "Held: the privacy policy is not agreed to"
            is SdkBlockFeatureNotGranted -> "Held: needs ${Texts.title(block.feature).lowercase()}"
            is SdkBlockMinor -> "Held: not for minors"
            is SdkBlockStoreUnavailable -> "Held: consent data unavailable"
            is SdkBlockUnknownSdk -> "Held: not declared"
        }
    }
}
