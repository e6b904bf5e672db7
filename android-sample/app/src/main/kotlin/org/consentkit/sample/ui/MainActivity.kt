// The sample's UI: thin Compose screens over the plain-Kotlin view models.
// (Not compiled on these machines: there is no Android SDK here.)
package org.consentkit.sample.ui

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import org.consentkit.ConsentStore
import org.consentkit.consentConfig
import org.consentkit.openConsentStore
import org.consentkit.sample.model.CameraViewModel
import org.consentkit.sample.model.PrivacyReportViewModel
import org.consentkit.sample.model.PrivacySettingsViewModel
import org.consentkit.sample.platform.AndroidClipboard
import org.consentkit.sample.platform.AndroidOrientationSensor
import org.consentkit.sample.platform.AndroidOsPermissions
import org.consentkit.sample.platform.AndroidSharer
import org.consentkit.sample.platform.CameraXHardware
import java.io.File

class MainActivity : ComponentActivity() {
    private lateinit var store: ConsentStore
    private lateinit var camera: CameraViewModel
    private lateinit var settings: PrivacySettingsViewModel

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        store = openConsentStore(File(noBackupFilesDir, "consent"), consentConfig("com.example.camera"))
        camera = CameraViewModel(store, AndroidOsPermissions(this), CameraXHardware(this, this),
            AndroidOrientationSensor(this), AndroidClipboard(this))
        settings = PrivacySettingsViewModel(store, AndroidSharer(this))
        // Background is not use: the whole process's lifecycle, not one activity's.
        ProcessLifecycleOwner.get().lifecycle.addObserver(object : DefaultLifecycleObserver {
            override fun onStart(owner: LifecycleOwner) = camera.onForeground()
            override fun onStop(owner: LifecycleOwner) = camera.onBackground()
        })
        setContent { MaterialTheme { App(store, camera, settings) } }
    }

    override fun onDestroy() {
        camera.close()
        settings.close()
        store.close()
        super.onDestroy()
    }
}

@Composable
fun App(store: ConsentStore, camera: CameraViewModel, settings: PrivacySettingsViewModel) {
    var tab by remember { mutableIntStateOf(0) }
    Scaffold(bottomBar = {
        NavigationBar {
            listOf("Camera", "Privacy", "Report").forEachIndexed { i, label ->
                NavigationBarItem(selected = tab == i, onClick = { tab = i }, icon = {}, label = { Text(label) })
            }
        }
    }) { padding ->
        Column(Modifier.padding(padding)) {
            settings.state.collectAsState().value.damage?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            when (tab) {
                0 -> CameraScreen(camera)
                1 -> PrivacyScreen(settings)
                else -> {
                    val context = LocalContext.current
                    ReportScreen(remember(store) { PrivacyReportViewModel(store, AndroidSharer(context)) })
                }
            }
        }
    }
}

@Composable
fun CameraScreen(vm: CameraViewModel) {
    val state by vm.state.collectAsState()
    DisposableEffect(vm) { onDispose { vm.onScreenHidden() } }
    Column(Modifier.padding(16.dp)) {
        Row {
            Button(onClick = vm::onShutter) { Text("Shutter") }
            if (state.recording) Button(onClick = vm::onRecordStop) { Text("Stop") }
            else Button(onClick = vm::onRecordStart) { Text("Record") }
            Button(onClick = vm::onPasteShareCode) { Text("Paste share code") }
        }
        Text("Photos: ${state.photosTaken}" + (state.lastOrientation?.let { " (last: $it)" } ?: ""))
        state.pastedCode?.let { Text("Pasted: $it") }
        state.notice?.let { Text(it) }
    }
    state.prompt?.let { prompt ->
        AlertDialog(
            onDismissRequest = { vm.onPromptAnswer(allow = false) },
            title = { Text("Allow ${prompt.title}?") },
            text = { Text(prompt.why) },
            confirmButton = {
                Row {
                    if (prompt.offerOnce) TextButton(onClick = { vm.onPromptAnswer(allow = true, once = true) }) { Text("Allow once") }
                    TextButton(onClick = { vm.onPromptAnswer(allow = true) }) { Text("Allow") }
                }
            },
            dismissButton = { TextButton(onClick = { vm.onPromptAnswer(allow = false) }) { Text("Don't allow") } },
        )
    }
}

@Composable
fun PrivacyScreen(vm: PrivacySettingsViewModel) {
    val state by vm.state.collectAsState()
    LazyColumn(Modifier.padding(16.dp)) {
        items(state.rows) { row ->
            Row {
                Column(Modifier.weight(1f)) {
                    Text(row.title, style = MaterialTheme.typography.titleMedium)
                    Text("${row.status.name.lowercase()} · OS ${row.osPermission.name.lowercase()}" + if (row.inUse) " · in use" else "")
                    row.why.forEach { Text("• $it", style = MaterialTheme.typography.bodySmall) }
                }
                Switch(checked = row.enabled, onCheckedChange = { vm.setEnabled(row.feature, it) })
            }
        }
        item {
            Button(onClick = vm::exportMyData) { Text("Export my data") }
            Button(onClick = vm::requestDelete) { Text("Delete my data") }
            state.notice?.let { Text(it) }
        }
    }
    if (state.confirmingDelete) {
        AlertDialog(
            onDismissRequest = vm::cancelDelete,
            title = { Text("Delete all consent data?") },
            text = { Text("Your choices and their history are removed, and every feature turns off.") },
            confirmButton = { TextButton(onClick = vm::confirmDelete) { Text("Delete") } },
            dismissButton = { TextButton(onClick = vm::cancelDelete) { Text("Cancel") } },
        )
    }
}

@Composable
fun ReportScreen(vm: PrivacyReportViewModel) {
    val state by vm.state.collectAsState()
    LazyColumn(Modifier.padding(16.dp)) {
        item { Text("Last 7 days", style = MaterialTheme.typography.titleMedium) }
        items(state.rows) { row ->
            Text("${row.title}: ${row.uses} uses, ${row.timeInUse}, ${row.refused} refused" + (row.lastUse?.let { ", last $it" } ?: ""))
        }
        item { Button(onClick = vm::exportAccessReport) { Text("Export App Privacy Report (NDJSON)") } }
        items(state.log) { entry -> Text("#${entry.seq} ${entry.time} ${entry.text}", style = MaterialTheme.typography.bodySmall) }
    }
}
