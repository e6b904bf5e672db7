package org.consentkit.android

import android.content.ClipData
import android.content.ClipboardManager
import org.consentkit.Actor
import org.consentkit.AuditFilter
import org.consentkit.AuditKind
import org.consentkit.ConsentDeniedException
import org.consentkit.ConsentRequiredException
import org.consentkit.Feature
import org.consentkit.GrantScope
import org.consentkit.InBackgroundException
import org.consentkit.consentConfig
import org.consentkit.isActive
import org.consentkit.openConsentStore
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertThrows
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config

/** The gated clipboard on the Android 15 framework (Robolectric), over the real library. */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35])
class GatedClipboardTest {
    @get:Rule
    val folder = TemporaryFolder()

    @Test
    fun `the clipboard is read only inside a session for a granted purpose`() {
        val app = RuntimeEnvironment.getApplication()
        app.getSystemService(ClipboardManager::class.java)!!
            .setPrimaryClip(ClipData.newPlainText("code", "LOGIN-1234"))
        openConsentStore(folder.root, consentConfig("com.example.camera")).use { store ->
            val clipboard = GatedClipboard(app, store)
            // Before any consent, and in the background: refused, and no session was opened.
            assertThrows(ConsentRequiredException::class.java) { clipboard.readText("login") }
            store.setForeground(true)
            store.grantPurposes(Feature.CLIPBOARD, listOf("login"), GrantScope.UNTIL_REVOKED, Actor.USER)
            store.setForeground(false)
            assertThrows(InBackgroundException::class.java) { clipboard.readText("login") }
            store.setForeground(true)
            assertEquals("LOGIN-1234", clipboard.readText("login"))
            // The read was one session, begun and ended around it.
            val kinds = store.auditLog(AuditFilter(feature = Feature.CLIPBOARD)).map { it.kind }
            assertEquals(1, kinds.count { it == AuditKind.SESSION_BEGAN })
            assertEquals(1, kinds.count { it == AuditKind.SESSION_ENDED })
            // A purpose not granted, and a "no": refused.
            assertThrows(ConsentRequiredException::class.java) { clipboard.readText("share_code") }
            store.revoke(Feature.CLIPBOARD, Actor.USER)
            assertThrows(ConsentDeniedException::class.java) { clipboard.readText("login") }
        }
    }

    @Test
    fun `a session of another feature or one that ended does not open the clipboard`() {
        val app = RuntimeEnvironment.getApplication()
        openConsentStore(folder.root, consentConfig("com.example.camera")).use { store ->
            store.setForeground(true)
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            store.grant(Feature.CLIPBOARD, GrantScope.UNTIL_REVOKED, Actor.USER)
            val clipboard = GatedClipboard(app, store)
            store.beginUse(Feature.CAMERA, "shoot_photo").use { camera ->
                assertThrows(IllegalStateException::class.java) { clipboard.readTextIn(camera) }
            }
            val session = store.beginUse(Feature.CLIPBOARD, "login")
            session.end()
            assertFalse(session.isActive())
            assertThrows(IllegalStateException::class.java) { clipboard.readTextIn(session) }
        }
    }
}
