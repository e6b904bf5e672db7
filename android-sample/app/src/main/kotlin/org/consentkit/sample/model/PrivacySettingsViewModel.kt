// Settings › Privacy: a toggle and the "why" lines per feature, export, and delete.
package org.consentkit.sample.model

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.consentkit.Actor
import org.consentkit.ConsentChange
import org.consentkit.ConsentObserver
import org.consentkit.ConsentStatus
import org.consentkit.ConsentStore
import org.consentkit.Feature
import org.consentkit.GrantScope
import org.consentkit.OsPermission

data class FeatureRow(
    val feature: Feature,
    val title: String,
    val status: ConsentStatus,
    val osPermission: OsPermission,
    /** The toggle: on only while consent is granted. */
    val enabled: Boolean,
    val inUse: Boolean,
    /** One "why we need this" line per declared purpose. */
    val why: List<String>,
)

data class PrivacySettingsUiState(
    val rows: List<FeatureRow> = emptyList(),
    /** Set when the store was found damaged: everything is off, and this says why. */
    val damage: String? = null,
    val confirmingDelete: Boolean = false,
    val notice: String? = null,
)

class PrivacySettingsViewModel(private val store: ConsentStore, private val sharer: Sharer) : AutoCloseable {
    private val mutableState = MutableStateFlow(PrivacySettingsUiState())
    val state: StateFlow<PrivacySettingsUiState> = mutableState.asStateFlow()

    private val subscription = store.subscribe(object : ConsentObserver {
        override fun onChange(change: ConsentChange) = refresh()
    })

    init {
        refresh()
    }

    /** The ad-personalisation switch, as the policy names it. */
    val adsPersonalization: FeatureRow get() = row(Feature.AD_PERSONALIZATION)

    fun row(feature: Feature): FeatureRow = state.value.rows.first { it.feature == feature }

    /** A toggle in Settings is the user's explicit decision. */
    fun setEnabled(feature: Feature, enabled: Boolean) {
        if (enabled) store.grant(feature, GrantScope.UNTIL_REVOKED, Actor.USER)
        else store.revoke(feature, Actor.USER)
        refresh()
    }

    fun setAdsPersonalization(enabled: Boolean) = setEnabled(Feature.AD_PERSONALIZATION, enabled)

    /** Right of access and portability: shares everything the store holds as JSON. */
    fun exportMyData() = sharer.share("consent-export.json", "application/json", store.exportJson())

    fun requestDelete() = mutableState.value.let { mutableState.value = it.copy(confirmingDelete = true) }

    fun cancelDelete() = mutableState.value.let { mutableState.value = it.copy(confirmingDelete = false) }

    /** Right to deletion, after confirmation. */
    fun confirmDelete() {
        store.eraseAll()
        mutableState.value = mutableState.value.copy(confirmingDelete = false, notice = "Your consent history was deleted.")
        refresh()
    }

    override fun close() = subscription.cancel()

    private fun refresh() {
        val rows = store.states().map { s ->
            FeatureRow(
                feature = s.feature,
                title = Texts.title(s.feature),
                status = s.status,
                osPermission = s.osPermission,
                enabled = s.status == ConsentStatus.GRANTED,
                inUse = s.activeSessions > 0u,
                why = s.purposes.map(Texts::why),
            )
        }
        val damage = store.recoveryNotice()?.let {
            "Your privacy settings were found damaged (${it.problem}), so everything was turned off. " +
                "The damaged copy was kept."
        }
        synchronized(mutableState) { mutableState.value = mutableState.value.copy(rows = rows, damage = damage) }
    }
}
