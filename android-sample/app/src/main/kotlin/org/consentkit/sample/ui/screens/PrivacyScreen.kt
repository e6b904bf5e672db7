// Settings › Privacy: a toggle and the "why" lines per feature, the ad-personalisation toggle
// with the signals the ad SDKs receive, the third-party SDK catalogue, export and delete.
package org.consentkit.sample.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.unit.dp
import org.consentkit.Feature
import org.consentkit.sample.model.FeatureRow
import org.consentkit.sample.model.PolicyUiState
import org.consentkit.sample.model.PolicyViewModel
import org.consentkit.sample.model.PrivacySettingsUiState
import org.consentkit.sample.model.PrivacySettingsViewModel
import org.consentkit.sample.model.SdkRow

@Composable
fun PrivacyRoute(vm: PrivacySettingsViewModel, policy: PolicyViewModel) {
    val state by vm.state.collectAsState()
    val policyState by policy.state.collectAsState()
    PrivacyScreen(
        state,
        policyState,
        onToggle = vm::setEnabled,
        onReviewPolicy = policy::review,
        onExport = vm::exportMyData,
        onDelete = vm::requestDelete,
        onConfirmDelete = vm::confirmDelete,
        onCancelDelete = vm::cancelDelete,
    )
}

@Composable
fun PrivacyScreen(
    state: PrivacySettingsUiState,
    policy: PolicyUiState,
    onToggle: (Feature, Boolean) -> Unit,
    onReviewPolicy: () -> Unit,
    onExport: () -> Unit,
    onDelete: () -> Unit,
    onConfirmDelete: () -> Unit,
    onCancelDelete: () -> Unit,
) {
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(10.dp)) {
        Text("Privacy", style = MaterialTheme.typography.titleLarge)
        state.damage?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        if (policy.required) {
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(
                    "Privacy policy (revision ${policy.revision}): ${policy.status.name.lowercase().replace('_', ' ')}",
                    Modifier.weight(1f),
                )
                TextButton(onClick = onReviewPolicy) { Text("Review") }
            }
        }
        state.rows.filter { it.feature != Feature.AD_PERSONALIZATION }.forEach { row ->
            FeatureToggle(row, onToggle)
        }
        HorizontalDivider()
        state.rows.firstOrNull { it.feature == Feature.AD_PERSONALIZATION }?.let { ads ->
            FeatureToggle(ads, onToggle)
            Text("Ad SDKs are told: ${policy.adSignals}", style = MaterialTheme.typography.bodySmall)
        }
        HorizontalDivider()
        Text("Third-party SDKs", style = MaterialTheme.typography.titleMedium)
        policy.sdks.forEach { SdkCard(it) }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = onExport) { Text("Export my data") }
            OutlinedButton(onClick = onDelete) { Text("Delete my data") }
        }
        state.notice?.let { Text(it) }
        if (state.confirmingDelete) {
            Card(Modifier.fillMaxWidth().testTag("confirm-delete")) {
                Column(Modifier.padding(16.dp)) {
                    Text("Delete all consent data?", style = MaterialTheme.typography.titleMedium)
                    Text("Your choices and their history are removed, and every feature turns off.")
                    Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.End) {
                        TextButton(onClick = onCancelDelete) { Text("Cancel") }
                        Button(onClick = onConfirmDelete) { Text("Delete") }
                    }
                }
            }
        }
    }
}

@Composable
private fun FeatureToggle(row: FeatureRow, onToggle: (Feature, Boolean) -> Unit) {
    Row(verticalAlignment = Alignment.CenterVertically) {
        Column(Modifier.weight(1f)) {
            Text(row.title, style = MaterialTheme.typography.titleMedium)
            Text(
                "${row.status.name.lowercase().replace('_', ' ')} · OS ${row.osPermission.name.lowercase()}" +
                    if (row.inUse) " · in use" else "",
                style = MaterialTheme.typography.bodySmall,
            )
            row.why.forEach { Text("• $it", style = MaterialTheme.typography.bodySmall) }
        }
        Switch(
            checked = row.enabled,
            onCheckedChange = { onToggle(row.feature, it) },
            modifier = Modifier.testTag("toggle-${row.feature.name.lowercase()}"),
        )
    }
}

@Composable
private fun SdkCard(sdk: SdkRow) {
    Card(Modifier.fillMaxWidth().testTag("sdk-${sdk.id}")) {
        Column(Modifier.padding(12.dp)) {
            Text("${sdk.name} · ${sdk.vendor}", style = MaterialTheme.typography.titleSmall)
            Text("${sdk.purpose}: ${sdk.dataCollected.joinToString()}", style = MaterialTheme.typography.bodySmall)
            Text(
                sdk.status + (sdk.firstStarted?.let { " · first started $it" } ?: ""),
                style = MaterialTheme.typography.bodySmall,
                color = if (sdk.mayStart) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.error,
            )
        }
    }
}
