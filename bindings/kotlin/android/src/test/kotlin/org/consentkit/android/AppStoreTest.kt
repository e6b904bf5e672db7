package org.consentkit.android

import org.consentkit.Actor
import org.consentkit.ConsentStatus
import org.consentkit.Feature
import org.consentkit.GrantScope
import org.consentkit.NotPermittedException
import org.consentkit.StorageException
import org.consentkit.consentConfig
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config
import java.io.File
import javax.crypto.spec.SecretKeySpec

/** The app's store as `ConsentKit.open` opens it, on the Android 15 framework (Robolectric). */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35])
class AppStoreTest {
    private val context get() = RuntimeEnvironment.getApplication()
    private val config = consentConfig("com.example.camera")
    private val key = SecretKeySpec(ByteArray(32) { (it * 7).toByte() }, "HmacSHA256")

    private fun storeDir() = File(context.noBackupFilesDir, ConsentKit.STORE_DIR)

    /** Every file under the app's backed-up files directory. */
    private fun backedUp(): List<String> =
        context.filesDir.walkTopDown().filter { it.isFile }.map { it.path }.toList()

    @Test
    fun `by default the store is sealed, so without a Keystore it does not open and nothing is written`() {
        // Robolectric has no AndroidKeyStore, as some broken devices have none that works.
        val refused = assertThrows(StorageException::class.java) { ConsentKit.open(context, config) }
        assertTrue(refused.message, refused.message!!.contains("Android Keystore"))
        assertFalse("no log started unsealed", File(storeDir(), "consent.log").exists())
    }

    @Test
    fun `sealed with the key, the store lives in the no-backup files with its anchor beside it`() {
        val files = context.noBackupFilesDir
        val sealer = ConsentKit.keystoreSealer(files) { key }
        ConsentKit.open(files, config, sealer).use { store ->
            store.setForeground(true)
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            assertNotNull("sealed", store.head().seal)
        }
        assertTrue(File(storeDir(), "consent.log").length() > 0)
        assertTrue("the anchor is outside the store's directory", File(files, ConsentKit.ANCHOR_FILE).length() > 0)
        assertEquals("nothing in the backed-up files", emptyList<String>(), backedUp())
        // Reopened with its key it is intact; an old copy restored would be damage (KeystoreSealerTest).
        ConsentKit.open(files, config, ConsentKit.keystoreSealer(files) { key }).use { store ->
            assertNull(store.recoveryNotice())
            assertTrue(store.verify().intact)
            assertEquals(ConsentStatus.GRANTED, store.state(Feature.CAMERA).status)
        }
        // A sealed store is never opened unsealed for writing: that would need its key.
        assertThrows(NotPermittedException::class.java) { ConsentKit.open(context, config, Sealing.NONE) }
    }

    @Test
    fun `unsealed only when asked, in the same no-backup place`() {
        ConsentKit.open(context, config, Sealing.NONE).use { store ->
            store.setForeground(true)
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            assertNull("unsealed", store.head().seal)
        }
        assertTrue(File(storeDir(), "consent.log").exists())
        assertFalse(File(context.noBackupFilesDir, ConsentKit.ANCHOR_FILE).exists())
        assertEquals(emptyList<String>(), backedUp())
    }
}
