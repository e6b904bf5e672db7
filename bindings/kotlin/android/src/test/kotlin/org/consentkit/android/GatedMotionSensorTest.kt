package org.consentkit.android

import android.hardware.Sensor
import android.hardware.SensorEvent
import android.hardware.SensorEventListener
import android.hardware.SensorManager
import org.consentkit.Actor
import org.consentkit.ConsentRequiredException
import org.consentkit.Feature
import org.consentkit.GrantScope
import org.consentkit.consentConfig
import org.consentkit.openConsentStore
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.SensorEventBuilder
import org.robolectric.shadows.ShadowSensor

/** The gated motion sensor on the Android 15 framework (Robolectric), over the real library. */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35])
class GatedMotionSensorTest {
    @get:Rule
    val folder = TemporaryFolder()

    private val app get() = RuntimeEnvironment.getApplication()

    private fun sensors(): SensorManager {
        val sensors = app.getSystemService(SensorManager::class.java)!!
        shadowOf(sensors).addSensor(ShadowSensor.newInstance(Sensor.TYPE_ACCELEROMETER))
        return sensors
    }

    /** Counts the events it hears. */
    private class Recording : SensorEventListener {
        var heard = 0
        override fun onSensorChanged(event: SensorEvent) { heard++ }
        override fun onAccuracyChanged(sensor: Sensor?, accuracy: Int) {}
    }

    private fun event(sensors: SensorManager) =
        SensorEventBuilder.newBuilder()
            .setSensor(sensors.getDefaultSensor(Sensor.TYPE_ACCELEROMETER)!!)
            .setValues(floatArrayOf(9.8f, 0f, 0f))
            .build()

    @Test
    fun `a listener lives only inside its session and goes when the camera session ends`() {
        val sensors = sensors()
        openConsentStore(folder.root, consentConfig("com.example.camera")).use { store ->
            store.setForeground(true)
            val motion = GatedMotionSensor(app, store)
            // No consent: refused before anything listens.
            val listener = Recording()
            assertThrows(ConsentRequiredException::class.java) { motion.listen("orientation", listener) }
            assertFalse(shadowOf(sensors).hasListener(listener))
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            store.grant(Feature.MOTION_SENSORS, GrantScope.UNTIL_REVOKED, Actor.USER)
            val camera = store.beginUse(Feature.CAMERA, "shoot_photo")
            val listening = motion.listen("orientation", listener)
            assertTrue(shadowOf(sensors).hasListener(listener))
            shadowOf(sensors).sendSensorEventToListeners(event(sensors))
            assertEquals(1, listener.heard)
            // The motion sensors are used only during the camera: its end ends them, and the
            // listener goes with the session.
            camera.end()
            assertFalse(listening.isHeld)
            assertFalse(shadowOf(sensors).hasListener(listener))
            listening.close()
        }
    }

    @Test
    fun `a revoke or a trip to the background removes the listener at once`() {
        val sensors = sensors()
        openConsentStore(folder.root, consentConfig("com.example.camera")).use { store ->
            store.setForeground(true)
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            store.grant(Feature.MOTION_SENSORS, GrantScope.UNTIL_REVOKED, Actor.USER)
            val motion = GatedMotionSensor(app, store)
            store.beginUse(Feature.CAMERA, "shoot_photo").use {
                val listener = Recording()
                val revoked = motion.listen("orientation", listener)
                assertTrue(shadowOf(sensors).hasListener(listener))
                store.revoke(Feature.MOTION_SENSORS, Actor.USER)
                assertFalse(shadowOf(sensors).hasListener(listener))
                revoked.close()
            }
            store.grant(Feature.MOTION_SENSORS, GrantScope.UNTIL_REVOKED, Actor.USER)
            store.beginUse(Feature.CAMERA, "shoot_photo").use {
                val listener = Recording()
                val backgrounded = motion.listen("orientation", listener)
                assertTrue(shadowOf(sensors).hasListener(listener))
                store.setForeground(false)
                assertFalse(shadowOf(sensors).hasListener(listener))
                backgrounded.close()
            }
        }
    }
}
