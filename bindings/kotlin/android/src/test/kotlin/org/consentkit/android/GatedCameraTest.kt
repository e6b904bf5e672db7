package org.consentkit.android

import org.consentkit.Actor
import org.consentkit.ConsentDeniedException
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
import org.robolectric.annotation.Config

/**
 * The camera bound only for a camera use session, through the interface the app adapts CameraX
 * to. Under Robolectric like every test of this module: the library's observer callbacks are
 * registered once per process, in the class loader of the first test that subscribes.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35])
class GatedCameraTest {
    @get:Rule
    val folder = TemporaryFolder()

    /** What a camera library was asked to do, in order. */
    private class RecordingCamera : CameraBinding {
        val calls = mutableListOf<String>()
        override fun bind() { calls += "bind" }
        override fun unbind() { calls += "unbind" }
    }

    @Test
    fun `the camera is bound for a session and unbound once when it ends for any reason`() {
        openConsentStore(folder.root, consentConfig("com.example.camera")).use { store ->
            store.setForeground(true)
            val camera = RecordingCamera()
            val gated = GatedCamera(store, camera)
            store.deny(Feature.CAMERA, Actor.USER)
            assertThrows(ConsentDeniedException::class.java) { gated.open("shoot_photo") }
            assertEquals("a refused use never binds", emptyList<String>(), camera.calls)
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            // The app closes it after the shot.
            gated.open("shoot_photo").use { assertTrue(it.isHeld) }
            assertEquals(listOf("bind", "unbind"), camera.calls)
            // The person revokes mid-use: unbound at once, and not again at close.
            camera.calls.clear()
            val revoked = gated.open("record_video")
            store.revoke(Feature.CAMERA, Actor.USER)
            assertFalse(revoked.isHeld)
            revoked.close()
            assertEquals(listOf("bind", "unbind"), camera.calls)
            // The app goes to the background mid-use: unbound.
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            camera.calls.clear()
            val backgrounded = gated.open("shoot_photo")
            store.setForeground(false)
            assertEquals(listOf("bind", "unbind"), camera.calls)
            backgrounded.close()
            assertEquals(listOf("bind", "unbind"), camera.calls)
        }
    }
}
