// The clipboard, orientation and the share sheet through framework services; a missing service
// (getSystemService is nullable) reads as nothing rather than a crash. Tested under Robolectric.
package org.consentkit.sample.platform

import android.content.ClipboardManager
import android.content.Context
import android.content.Intent
import android.hardware.Sensor
import android.hardware.SensorEvent
import android.hardware.SensorEventListener
import android.hardware.SensorManager
import android.view.Surface
import android.view.WindowManager
import org.consentkit.sample.model.ClipboardReader
import org.consentkit.sample.model.Orientation
import org.consentkit.sample.model.OrientationSensor
import org.consentkit.sample.model.Sharer
import kotlin.math.abs

/** Reads the clipboard's first item as text; only called inside a clipboard use session. */
class AndroidClipboard(private val context: Context) : ClipboardReader {
    override fun readText(): String? {
        val clipboard = context.getSystemService(ClipboardManager::class.java) ?: return null
        val clip = clipboard.primaryClip ?: return null
        if (clip.itemCount == 0) return null
        return clip.getItemAt(0).coerceToText(context)?.toString()
    }
}

/**
 * Orientation while shooting: reported at once from the display's rotation when started, then
 * from the accelerometer until stopped. Never registered outside a motion-sensors session.
 */
class AndroidOrientationSensor(private val context: Context) : OrientationSensor, SensorEventListener {
    private var onChange: ((Orientation) -> Unit)? = null

    override fun start(onChange: (Orientation) -> Unit) {
        this.onChange = onChange
        displayOrientation()?.let(onChange)
        val sensors = context.getSystemService(SensorManager::class.java) ?: return
        sensors.getDefaultSensor(Sensor.TYPE_ACCELEROMETER)?.let {
            sensors.registerListener(this, it, SensorManager.SENSOR_DELAY_UI)
        }
    }

    override fun stop() {
        context.getSystemService(SensorManager::class.java)?.unregisterListener(this)
        onChange = null
    }

    override fun onSensorChanged(event: SensorEvent) {
        if (event.values.size < 2) return
        val x = event.values[0]
        val y = event.values[1]
        onChange?.invoke(if (abs(x) > abs(y)) Orientation.LANDSCAPE else Orientation.PORTRAIT)
    }

    override fun onAccuracyChanged(sensor: Sensor?, accuracy: Int) {}

    @Suppress("DEPRECATION") // Context.display needs a visual context; this works from any
    private fun displayOrientation(): Orientation? {
        val display = context.getSystemService(WindowManager::class.java)?.defaultDisplay ?: return null
        return when (display.rotation) {
            Surface.ROTATION_90, Surface.ROTATION_270 -> Orientation.LANDSCAPE
            else -> Orientation.PORTRAIT
        }
    }
}

/** The system share sheet, with the exported text as the shared content. */
class AndroidSharer(private val context: Context) : Sharer {
    override fun share(fileName: String, mimeType: String, content: String) {
        val send = Intent(Intent.ACTION_SEND).setType(mimeType)
            .putExtra(Intent.EXTRA_TITLE, fileName)
            .putExtra(Intent.EXTRA_SUBJECT, fileName)
            .putExtra(Intent.EXTRA_TEXT, content)
        context.startActivity(Intent.createChooser(send, fileName).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK))
    }
}
