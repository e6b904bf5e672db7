// The first-launch privacy-policy dialog and the basic-mode banner: plain composables over
// state and callbacks, the same source in the Android app and the desktop screen tests.
package org.consentkit.sample.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.unit.dp
import org.consentkit.sample.model.PolicyUiState
import org.consentkit.sample.model.PolicyViewModel

/** The policy's dialog, or the basic-mode banner, as the view model says. */
@Composable
fun PolicyRoute(vm: PolicyViewModel) {
    val state by vm.state.collectAsState()
    PolicyGate(state, onAgree = vm::agree, onDecline = vm::decline, onReview = vm::review, onUnderAge = vm::declareUnderAge)
}

@Composable
fun PolicyGate(
    state: PolicyUiState,
    onAgree: () -> Unit,
    onDecline: () -> Unit,
    onReview: () -> Unit,
    onUnderAge: () -> Unit = {},
) {
    when {
        state.dialogShown -> PolicyDialog(state, onAgree, onDecline, onUnderAge)
        state.basicMode -> BasicModeBanner(state.notice, onReview)
        else -> state.notice?.let { Text(it, Modifier.padding(16.dp)) }
    }
}

/** Shown before anything else at first launch: what the app collects, the SDK list, agree or not. */
@Composable
fun PolicyDialog(state: PolicyUiState, onAgree: () -> Unit, onDecline: () -> Unit, onUnderAge: () -> Unit = {}) {
    Card(Modifier.fillMaxWidth().padding(16.dp).testTag("policy-dialog")) {
        Column(Modifier.padding(20.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text("Privacy policy", style = MaterialTheme.typography.titleLarge)
            Text(
                "Revision ${state.revision ?: 1}. We use the camera, microphone, photo library, clipboard and " +
                    "motion sensors only at the moment you use a feature, and only after you allow it. " +
                    "Nothing starts — not even the third-party SDKs below — until you agree.",
                style = MaterialTheme.typography.bodyMedium,
            )
            Text("Third-party SDKs", style = MaterialTheme.typography.titleSmall)
            state.sdks.forEach { sdk ->
                Text(
                    "• ${sdk.name} (${sdk.vendor}) — ${sdk.purpose}: ${sdk.dataCollected.joinToString()}",
                    style = MaterialTheme.typography.bodySmall,
                )
            }
            if (state.minor) {
                Text(
                    "Under ${state.ageOfConsent}, your parent or guardian agrees for you.",
                    style = MaterialTheme.typography.bodyMedium,
                )
            } else {
                TextButton(onClick = onUnderAge) { Text("I am under ${state.ageOfConsent}") }
            }
            Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.End) {
                TextButton(onClick = onDecline) { Text("Disagree") }
                Button(onClick = onAgree) { Text(if (state.minor) "My guardian agrees" else "Agree") }
            }
        }
    }
}

/** Basic mode: the app still works without the features and SDKs the policy covers. */
@Composable
fun BasicModeBanner(notice: String?, onReview: () -> Unit) {
    Card(Modifier.fillMaxWidth().padding(16.dp).testTag("basic-mode")) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
            Text("Basic mode", style = MaterialTheme.typography.titleMedium)
            Text(notice ?: "You have not agreed to the privacy policy: the camera and the SDKs stay off.")
            OutlinedButton(onClick = onReview) { Text("Review the privacy policy") }
        }
    }
}
