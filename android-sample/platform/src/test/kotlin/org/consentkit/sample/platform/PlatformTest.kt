package org.consentkit.sample.platform

import android.Manifest
import android.app.Activity
import android.app.Application
import android.content.ClipData
import android.content.ClipboardManager
import android.content.Intent
import android.content.pm.PackageManager
import android.hardware.Sensor
import android.hardware.SensorManager
import android.view.Surface
import org.robolectric.RuntimeEnvironment
import org.consentkit.Actor
import org.consentkit.android.ForegroundTracker
import org.consentkit.AuditFilter
import org.consentkit.AuditKind
import org.consentkit.ConsentStore
import org.consentkit.Feature
import org.consentkit.GrantScope
import org.consentkit.OsPermission
import org.consentkit.consentConfig
import org.consentkit.isActive
import org.consentkit.isAllowed
import org.consentkit.openConsentStore
import org.consentkit.sample.model.CameraViewModel
import org.consentkit.sample.model.FakeCamera
import org.consentkit.sample.model.FakeSensor
import org.consentkit.sample.model.Orientation
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import org.robolectric.shadows.SensorEventBuilder
import org.robolectric.shadows.ShadowDisplay
import org.robolectric.shadows.ShadowSensor

/** The Android platform layer on the Android 15 framework (Robolectric), over the real store. */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35])
class PlatformTest {
    @get:Rule
    val tmp = TemporaryFolder()
    private lateinit var store: ConsentStore
    private val app: Application get() = RuntimeEnvironment.getApplication()

    @Before
    fun openStore() {
        // On screen, as ForegroundTracker reports when the activity starts (a store is in the
        // background until told).
        store = openConsentStore(tmp.newFolder("consent"), consentConfig("com.example.camera"))
            .apply { setForeground(true) }
    }

    @After
    fun closeStore() = store.close()

    private fun activity(): Activity = Robolectric.buildActivity(Activity::class.java).setup().get()

    private fun kinds(kind: AuditKind) = store.auditLog(AuditFilter()).filter { it.kind == kind }

    @Test
    fun `the shutter asks the user, then the OS, and the OS's answer reaches the store before the photo`() {
        val activity = activity()
        val permissions = AndroidOsPermissions(activity)
        val camera = FakeCamera { store }
        val vm = CameraViewModel(store, permissions, camera, FakeSensor { store }) { null }
        vm.onShutter()
        vm.onPromptAnswer(allow = true)
        val request = shadowOf(activity).lastRequestedPermission
        assertEquals(listOf(Manifest.permission.CAMERA), request.requestedPermissions.toList())
        assertTrue("no photo while the OS dialog is up", camera.photos.isEmpty())

        shadowOf(app).grantPermissions(Manifest.permission.CAMERA)
        val ours = permissions.onRequestPermissionsResult(
            request.requestCode, request.requestedPermissions, intArrayOf(PackageManager.PERMISSION_GRANTED),
        )
        assertTrue(ours)
        assertEquals(OsPermission.GRANTED, store.state(Feature.CAMERA).osPermission)
        assertEquals("the photo, taken inside its session", listOf(true), camera.allowedAtEachUse)
        assertFalse(permissions.onRequestPermissionsResult(7, arrayOf(), intArrayOf()))
        vm.close()
    }

    @Test
    fun `what the OS says is read from the framework - never asked, denied, denied for good`() {
        val activity = activity()
        val permissions = AndroidOsPermissions(activity)
        val packages = shadowOf(app.packageManager)
        assertEquals(OsPermission.UNKNOWN, permissions.current(Feature.CAMERA))
        assertEquals("no runtime permission for the clipboard", OsPermission.GRANTED, permissions.current(Feature.CLIPBOARD))

        val answers = mutableListOf<OsPermission>()
        permissions.request(Feature.MICROPHONE) { answers += it }
        val request = shadowOf(activity).lastRequestedPermission
        shadowOf(app).denyPermissions(Manifest.permission.RECORD_AUDIO)
        packages.setShouldShowRequestPermissionRationale(Manifest.permission.RECORD_AUDIO, true)
        permissions.onRequestPermissionsResult(request.requestCode, request.requestedPermissions, intArrayOf(PackageManager.PERMISSION_DENIED))
        assertEquals(listOf(OsPermission.DENIED), answers)

        // The second no: Android stops showing its dialog and the rationale flag turns false.
        packages.setShouldShowRequestPermissionRationale(Manifest.permission.RECORD_AUDIO, false)
        assertEquals(OsPermission.DENIED_PERMANENTLY, permissions.current(Feature.MICROPHONE))
        assertEquals(
            "remembered across launches",
            OsPermission.DENIED_PERMANENTLY,
            AndroidOsPermissions(activity()).current(Feature.MICROPHONE),
        )
    }

    @Test
    fun `an interrupted request reports what the OS says now and does not count as asked`() {
        val activity = activity()
        val permissions = AndroidOsPermissions(activity)
        val answers = mutableListOf<OsPermission>()
        permissions.request(Feature.CAMERA) { answers += it }
        permissions.request(Feature.CAMERA) { answers += it } // a second tap while the dialog is up
        val request = shadowOf(activity).lastRequestedPermission
        permissions.onRequestPermissionsResult(request.requestCode, arrayOf(), intArrayOf())
        assertEquals(listOf(OsPermission.UNKNOWN, OsPermission.UNKNOWN), answers)
        assertEquals(OsPermission.UNKNOWN, permissions.current(Feature.CAMERA))
    }

    @Test
    fun `the clipboard reads its first item as text, and nothing when empty`() {
        val clipboard = AndroidClipboard(app)
        assertNull(clipboard.readText())
        app.getSystemService(ClipboardManager::class.java)!!
            .setPrimaryClip(ClipData.newPlainText("code", "SHARE-42"))
        assertEquals("SHARE-42", clipboard.readText())
    }

    @Test
    fun `orientation is reported at once from the display, then from the accelerometer, and never after stop`() {
        val sensors = app.getSystemService(SensorManager::class.java)!!
        val accelerometer = ShadowSensor.newInstance(Sensor.TYPE_ACCELEROMETER)
        shadowOf(sensors).addSensor(accelerometer)
        ShadowDisplay.getDefaultDisplay().let { shadowOf(it).setRotation(Surface.ROTATION_90) }
        val sensor = AndroidOrientationSensor(app)
        val seen = mutableListOf<Orientation>()
        assertFalse("nothing listens before a session", shadowOf(sensors).hasListener(sensor))

        sensor.start { seen += it }
        assertEquals("the first orientation, without waiting for a reading", listOf(Orientation.LANDSCAPE), seen)
        shadowOf(sensors).sendSensorEventToListeners(
            SensorEventBuilder.newBuilder(accelerometer, floatArrayOf(0.3f, 9.7f, 0.5f)).build(),
        )
        assertEquals(listOf(Orientation.LANDSCAPE, Orientation.PORTRAIT), seen)

        sensor.stop()
        assertFalse(shadowOf(sensors).hasListener(sensor))
        shadowOf(sensors).sendSensorEventToListeners(
            SensorEventBuilder.newBuilder(accelerometer, floatArrayOf(9.7f, 0.3f, 0.5f)).build(),
        )
        assertEquals(2, seen.size)
    }

    @Test
    fun `sharing opens the system chooser with the exported text`() {
        AndroidSharer(app).share("consent-export.json", "application/json", "{\"app\":1}")
        val chooser = shadowOf(app).nextStartedActivity
        assertEquals(Intent.ACTION_CHOOSER, chooser.action)
        @Suppress("DEPRECATION")
        val send = chooser.getParcelableExtra<Intent>(Intent.EXTRA_INTENT)!!
        assertEquals("application/json", send.type)
        assertEquals("{\"app\":1}", send.getStringExtra(Intent.EXTRA_TEXT))
    }

    @Test
    fun `leaving the app ends the session in use and a rotation does not`() {
        val tracker = ForegroundTracker.install(app) { store.setForeground(it) }
        val controller = Robolectric.buildActivity(Activity::class.java).setup()
        store.grant(Feature.MICROPHONE, GrantScope.UNTIL_REVOKED, Actor.USER)
        val session = store.beginUse(Feature.MICROPHONE, "voice_note")

        controller.recreate() // a configuration change: stopped and started again at once
        assertTrue("still in use after a rotation", session.isActive())

        controller.pause().stop()
        assertFalse("background is not use", session.isActive())
        assertFalse(store.isAllowed(Feature.MICROPHONE))
        // The store starts in the background; the app said it is on screen; then only the
        // changes are records.
        assertEquals(listOf(false, true), kinds(AuditKind.FOREGROUND_CHANGED).map { it.foreground })

        controller.start()
        assertEquals(listOf(true, false, true), kinds(AuditKind.FOREGROUND_CHANGED).map { it.foreground })
        app.unregisterActivityLifecycleCallbacks(tracker)
    }
}
