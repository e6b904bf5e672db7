// The Android side of the view models' platform interfaces: permissions, clipboard,
// orientation from the accelerometer, sharing. (Not compiled on these machines.)
package org.consentkit.sample.platform

import android.Manifest
import android.content.ClipboardManager
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.hardware.Sensor
import android.hardware.SensorEvent
import android.hardware.SensorEventListener
import android.hardware.SensorManager
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import androidx.core.content.ContextCompat
import org.consentkit.Feature
import org.consentkit.OsPermission
import org.consentkit.sample.model.ClipboardReader
import org.consentkit.sample.model.Orientation
import org.consentkit.sample.model.OrientationSensor
import org.consentkit.sample.model.OsPermissions
import org.consentkit.sample.model.Sharer
import kotlin.math.abs

class AndroidOsPermissions(private val activity: ComponentActivity) : OsPermissions {
    private var pending: ((OsPermission) -> Unit)? = null
    private val launcher = activity.registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        pending?.invoke(if (granted) OsPermission.GRANTED else OsPermission.DENIED)
        pending = null
    }

    private fun manifestPermission(feature: Feature): String? = when (feature) {
        Feature.CAMERA -> Manifest.permission.CAMERA
        Feature.MICROPHONE -> Manifest.permission.RECORD_AUDIO
        else -> null // no runtime permission on Android for the others
    }

    override fun current(feature: Feature): OsPermission {
        val permission = manifestPermission(feature) ?: return OsPermission.GRANTED
        return when {
            ContextCompat.checkSelfPermission(activity, permission) == PackageManager.PERMISSION_GRANTED -> OsPermission.GRANTED
            activity.shouldShowRequestPermissionRationale(permission) -> OsPermission.DENIED
            else -> OsPermission.UNKNOWN
        }
    }

    override fun request(feature: Feature, onResult: (OsPermission) -> Unit) {
        val permission = manifestPermission(feature) ?: return onResult(OsPermission.GRANTED)
        pending = onResult
        launcher.launch(permission)
    }
}

class AndroidClipboard(context: Context) : ClipboardReader {
    private val clipboard = context.getSystemService(ClipboardManager::class.java)
    override fun readText(): String? = clipboard.primaryClip?.getItemAt(0)?.text?.toString()
}

class AndroidOrientationSensor(context: Context) : OrientationSensor, SensorEventListener {
    private val sensors = context.getSystemService(SensorManager::class.java)
    private var onChange: ((Orientation) -> Unit)? = null

    override fun start(onChange: (Orientation) -> Unit) {
        this.onChange = onChange
        sensors.getDefaultSensor(Sensor.TYPE_ACCELEROMETER)?.let {
            sensors.registerListener(this, it, SensorManager.SENSOR_DELAY_UI)
        }
    }

    override fun stop() {
        sensors.unregisterListener(this)
        onChange = null
    }

    override fun onSensorChanged(event: SensorEvent) {
        val (x, y) = event.values
        onChange?.invoke(if (abs(x) > abs(y)) Orientation.LANDSCAPE else Orientation.PORTRAIT)
    }

    override fun onAccuracyChanged(sensor: Sensor?, accuracy: Int) {}
}

class AndroidSharer(private val context: Context) : Sharer {
    override fun share(fileName: String, mimeType: String, content: String) {
        val send = Intent(Intent.ACTION_SEND).setType(mimeType)
            .putExtra(Intent.EXTRA_TITLE, fileName)
            .putExtra(Intent.EXTRA_TEXT, content)
        context.startActivity(Intent.createChooser(send, fileName).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK))
    }
}
