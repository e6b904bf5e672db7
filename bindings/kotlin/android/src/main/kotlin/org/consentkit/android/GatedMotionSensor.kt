// Motion sensors listened to only inside a motion-sensors use session: the listener is registered
// when the session opens and removed the moment it ends for any reason — the app ending it, a
// revoke, the app leaving the foreground, the camera session it depends on ending. Tested under
// Robolectric.
package org.consentkit.android

import android.content.Context
import android.hardware.Sensor
import android.hardware.SensorEvent
import android.hardware.SensorEventListener
import android.hardware.SensorManager
import org.consentkit.ConsentChange
import org.consentkit.ConsentObserver
import org.consentkit.ConsentStore
import org.consentkit.Feature
import org.consentkit.Subscription
import org.consentkit.UseSession
import org.consentkit.isActive

/**
 * Gated access to a motion sensor (the accelerometer by default). [listen] opens a
 * motion-sensors use session for its purpose — the store's refusal is thrown before anything is
 * registered — and returns a [Listening] to close when the app is done. Whatever ends the
 * session, the listener is removed as the store reports it, so no sensor event reaches the
 * app outside a session.
 */
class GatedMotionSensor(
    private val context: Context,
    private val store: ConsentStore,
    private val sensorType: Int = Sensor.TYPE_ACCELEROMETER,
) {
    /** Events while the session lasts; an open session and its listener until [close]. */
    inner class Listening internal constructor(
        /** The use session the listener lives in. */
        val session: UseSession,
        private val onEvent: (SensorEvent) -> Unit,
    ) : SensorEventListener, ConsentObserver, AutoCloseable {
        private val sensors = context.getSystemService(SensorManager::class.java)
        private var subscription: Subscription? = null
        @Volatile private var stopped = false

        internal fun start(): Listening {
            subscription = store.subscribe(this)
            val sensor = sensors?.getDefaultSensor(sensorType)
            if (sensor != null && session.isActive()) {
                sensors.registerListener(this, sensor, SensorManager.SENSOR_DELAY_UI)
            }
            // The session may have ended between opening and subscribing.
            if (!session.isActive()) stop()
            return this
        }

        /** Whether the listener is registered (the session is open). */
        val isListening: Boolean get() = !stopped && session.isActive()

        override fun onSensorChanged(event: SensorEvent) {
            if (session.isActive()) onEvent(event) else stop()
        }

        override fun onAccuracyChanged(sensor: Sensor?, accuracy: Int) {}

        /** Called by the store, outside its locks, after every change. */
        override fun onChange(change: ConsentChange) {
            if (!session.isActive()) stop()
        }

        private fun stop() {
            if (stopped) return
            stopped = true
            sensors?.unregisterListener(this)
            subscription?.cancel()
        }

        /** Stops listening and ends the session. */
        override fun close() {
            stop()
            try {
                session.end()
            } catch (alreadyEnded: org.consentkit.ConsentException) {
                // Ended already (revoked, backgrounded): nothing more to record.
            }
            session.close()
        }
    }

    /** Listens for [purpose] inside a new motion-sensors session. */
    fun listen(purpose: String, onEvent: (SensorEvent) -> Unit): Listening =
        Listening(store.beginUse(Feature.MOTION_SENSORS, purpose), onEvent).start()
}
