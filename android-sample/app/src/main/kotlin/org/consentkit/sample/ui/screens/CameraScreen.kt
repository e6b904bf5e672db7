// The camera screen: the shutter, record and paste buttons, and the consent prompt shown at
// the moment of use. Plain composables over state and callbacks.
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
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.unit.dp
import org.consentkit.sample.model.CameraUiState
import org.consentkit.sample.model.CameraViewModel
import org.consentkit.sample.model.ConsentPrompt

@Composable
fun CameraRoute(vm: CameraViewModel) {
    val state by vm.state.collectAsState()
    DisposableEffect(vm) { onDispose { vm.onScreenHidden() } }
    CameraScreen(
        state,
        onShutter = vm::onShutter,
        onRecordStart = vm::onRecordStart,
        onRecordStop = vm::onRecordStop,
        onPaste = vm::onPasteShareCode,
        onPromptAnswer = vm::onPromptAnswer,
    )
}

@Composable
fun CameraScreen(
    state: CameraUiState,
    onShutter: () -> Unit,
    onRecordStart: () -> Unit,
    onRecordStop: () -> Unit,
    onPaste: () -> Unit,
    onPromptAnswer: (allow: Boolean, once: Boolean) -> Unit,
) {
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = onShutter) { Text("Shutter") }
            if (state.recording) Button(onClick = onRecordStop) { Text("Stop") }
            else OutlinedButton(onClick = onRecordStart) { Text("Record") }
            OutlinedButton(onClick = onPaste) { Text("Paste share code") }
        }
        Text(
            "Photos: ${state.photosTaken}" + (state.lastOrientation?.let { " (last: ${it.name.lowercase()})" } ?: ""),
            Modifier.testTag("photos"),
        )
        if (state.recording) Text(if (state.recordingWithAudio) "Recording with sound" else "Recording without sound")
        state.pastedCode?.let { Text("Pasted: $it") }
        state.notice?.let { Text(it, Modifier.testTag("notice"), color = MaterialTheme.colorScheme.error) }
        state.prompt?.let { ConsentPromptCard(it, onPromptAnswer) }
    }
}

/** The app's own prompt, in the screen rather than a system dialog, at the moment of use. */
@Composable
fun ConsentPromptCard(prompt: ConsentPrompt, onAnswer: (allow: Boolean, once: Boolean) -> Unit) {
    Card(Modifier.fillMaxWidth().testTag("prompt")) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
            Text("Allow ${prompt.title}?", style = MaterialTheme.typography.titleMedium)
            Text(prompt.why)
            Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.End) {
                TextButton(onClick = { onAnswer(false, false) }) { Text("Don't allow") }
                if (prompt.offerOnce) TextButton(onClick = { onAnswer(true, true) }) { Text("Allow once") }
                Button(onClick = { onAnswer(true, false) }) { Text("Allow") }
            }
        }
    }
}
