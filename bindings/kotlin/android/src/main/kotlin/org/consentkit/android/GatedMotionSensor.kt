// Motion sensors listened to only inside a motion-sensors use session: the listener is registered
// when the session opens and removed the moment it ends for any reason — the app ending it, a
// revoke, the app leaving the foreground, the camera session it depends on ending. Tested under
// Robolectric.
package org.consentkit.android

import android.content.Context
import android.hardware.Sensor
import android.hardware.SensorEventListener
import android.hardware.SensorManager
import org.consentkit.ConsentStore
import org.consentkit.Feature

/**
 * Gated access to a motion sensor (the accelerometer by default). [listen] opens a
 * motion-sensors use session for its purpose — the store's refusal is thrown before anything is
 * registered — and returns its [SessionScope] to close when the app is done. Whatever ends the
 * session, the listener is unregistered as the store reports it.
 */
class GatedMotionSensor(
    private val context: Context,
    private val store: ConsentStore,
    private val sensorType: Int = Sensor.TYPE_ACCELEROMETER,
) {
    /** Registers [listener] for [purpose] inside a new motion-sensors session. */
    fun listen(purpose: String, listener: SensorEventListener): SessionScope {
        val session = store.beginUse(Feature.MOTION_SENSORS, purpose)
        val sensors = context.getSystemService(SensorManager::class.java)
        return SessionScope.open(
            store,
            session,
            acquire = {
                sensors?.getDefaultSensor(sensorType)?.let {
                    sensors.registerListener(listener, it, SensorManager.SENSOR_DELAY_UI)
                }
            },
            release = { sensors?.unregisterListener(listener) },
        )
    }
}
