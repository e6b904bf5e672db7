// The sample's activity: opens the sealed store, wires the platform layer to the view models and
// shows the shared screens (ui/screens) under a bottom bar. Not compiled on these machines: it
// needs Jetpack's activity-compose and a CameraX binding (see android-sample/README.md).
package org.consentkit.sample.ui

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import org.consentkit.ConsentConfig
import org.consentkit.ConsentStore
import org.consentkit.ageOfDigitalConsent
import org.consentkit.android.ConsentKit
import org.consentkit.sample.camerax.CameraXHardware
import org.consentkit.sample.model.CameraViewModel
import org.consentkit.sample.model.PolicyViewModel
import org.consentkit.sample.model.PrivacyReportViewModel
import org.consentkit.sample.model.PrivacySettingsViewModel
import org.consentkit.sample.platform.AndroidClipboard
import org.consentkit.sample.platform.AndroidOrientationSensor
import org.consentkit.sample.platform.AndroidOsPermissions
import org.consentkit.sample.platform.AndroidSharer
import org.consentkit.android.ForegroundTracker
import org.consentkit.sample.ui.screens.CameraRoute
import org.consentkit.sample.ui.screens.PolicyRoute
import org.consentkit.sample.ui.screens.PrivacyRoute
import org.consentkit.sample.ui.screens.ReportRoute

class MainActivity : ComponentActivity() {
    private lateinit var store: ConsentStore
    private lateinit var permissions: AndroidOsPermissions
    private lateinit var tracker: ForegroundTracker
    private val closing = mutableListOf<AutoCloseable>()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        // A Chinese camera app: its policy agreed to as a whole, and a guardian for those under 14.
        val config = ConsentConfig(appId = "com.example.camera", policyRevision = 1u, jurisdiction = "CN")
        // The library's default: in the no-backup files, sealed with a Keystore key.
        store = ConsentKit.open(this, config)
        permissions = AndroidOsPermissions(this)
        val camera = CameraViewModel(store, permissions, CameraXHardware(this, this), AndroidOrientationSensor(this),
            clipboard = AndroidClipboard(this))
        val policy = PolicyViewModel(store, ageOfConsent = ageOfDigitalConsent(config.jurisdiction))
        val settings = PrivacySettingsViewModel(store, AndroidSharer(this))
        closing += listOf(camera, policy, settings)
        // Background is not use: the process is in the background once none of its activities is started.
        tracker = ForegroundTracker.install(application) { foreground ->
            if (foreground) camera.onForeground() else camera.onBackground()
        }
        val report = { PrivacyReportViewModel(store, AndroidSharer(this)) }
        setContent { MaterialTheme { App(camera, policy, settings, report) } }
    }

    @Deprecated("Framework callback; the platform layer uses Activity.requestPermissions")
    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        if (!this.permissions.onRequestPermissionsResult(requestCode, permissions, grantResults)) {
            @Suppress("DEPRECATION")
            super.onRequestPermissionsResult(requestCode, permissions, grantResults)
        }
    }

    override fun onDestroy() {
        application.unregisterActivityLifecycleCallbacks(tracker)
        closing.forEach { it.close() }
        store.close()
        super.onDestroy()
    }
}

@Composable
fun App(
    camera: CameraViewModel,
    policy: PolicyViewModel,
    settings: PrivacySettingsViewModel,
    report: () -> PrivacyReportViewModel,
) {
    var tab by remember { mutableIntStateOf(0) }
    Scaffold(bottomBar = {
        NavigationBar {
            listOf("Camera", "Privacy", "Report").forEachIndexed { i, label ->
                NavigationBarItem(selected = tab == i, onClick = { tab = i }, icon = {}, label = { Text(label) })
            }
        }
    }) { padding ->
        Column(Modifier.padding(padding)) {
            PolicyRoute(policy) // the first-launch dialog, then basic mode until agreed
            when (tab) {
                0 -> CameraRoute(camera)
                1 -> PrivacyRoute(settings, policy)
                else -> {
                    ReportRoute(remember { report() })
                }
            }
        }
    }
}
