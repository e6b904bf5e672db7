package org.consentkit.android

import org.consentkit.Actor
import org.consentkit.ConsentStatus
import org.consentkit.Feature
import org.consentkit.GrantScope
import org.consentkit.SealerFailedException
import org.consentkit.StorageException
import org.consentkit.consentConfig
import org.consentkit.isAllowed
import org.consentkit.openSealedConsentStore
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import java.io.File
import javax.crypto.spec.SecretKeySpec

/** The Keystore sealer on the Android 15 framework (Robolectric, which has no AndroidKeyStore). */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35])
class KeystoreSealerTest {
    @get:Rule
    val tmp = TemporaryFolder()
    private val config = consentConfig("com.example.camera")
    private val key = SecretKeySpec(ByteArray(32) { it.toByte() }, "HmacSHA256")

    @Test
    fun `without a Keystore the app still starts and every seal fails as a sealer error`() {
        val anchor = File(tmp.newFolder("keys"), "anchor")
        val sealer = KeystoreSealer("consent-log", anchor) // must not throw: the app starts
        val failure = assertThrows(SealerFailedException::class.java) { sealer.mac(byteArrayOf(1, 2, 3)) }
        assertTrue(failure.message, failure.message!!.contains("Android Keystore"))
        // The store's open fails closed: a chain is sealed as it starts, and nothing is written.
        val dir = tmp.newFolder("consent")
        val refused = assertThrows(StorageException::class.java) { openSealedConsentStore(dir, config, sealer) }
        assertTrue(refused.message, refused.message!!.contains("Android Keystore"))
        assertFalse("nothing written without the key", File(dir, "consent.log").exists())
    }

    @Test
    fun `a store sealed through the sealer reopens intact, and a restored old copy is caught`() {
        val keys = tmp.newFolder("keys")
        val dir = tmp.newFolder("consent")
        fun sealer() = KeystoreSealer(File(keys, "anchor")) { key }
        openSealedConsentStore(dir, config, sealer()).use { store ->
            store.setForeground(true) // on screen: a store is in the background until told
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            assertNotNull(store.head().seal)
        }
        assertTrue("the anchor lives beside the key", File(keys, "anchor").length() > 0)
        assertEquals("no temporary file left", listOf("anchor"), keys.list()!!.sorted())
        val copy = File(dir, "consent.log").readBytes()
        openSealedConsentStore(dir, config, sealer()).use { store ->
            assertTrue(store.verify().intact)
            assertEquals(ConsentStatus.GRANTED, store.state(Feature.CAMERA).status)
            store.revoke(Feature.CAMERA, Actor.USER)
        }
        File(dir, "consent.log").writeBytes(copy)
        File(dir, "consent.snapshot").delete()
        openSealedConsentStore(dir, config, sealer()).use { store ->
            assertNotNull("the restored copy was caught", store.recoveryNotice())
            assertFalse(store.isAllowed(Feature.CAMERA))
            assertEquals(ConsentStatus.NOT_ASKED, store.state(Feature.CAMERA).status)
        }
    }

    @Test
    fun `the anchor is replaced whole, and one it cannot read is a sealer error`() {
        val keys = tmp.newFolder("keys")
        val sealer = KeystoreSealer(File(keys, "anchor")) { key }
        assertNull(sealer.loadAnchor())
        sealer.storeAnchor(byteArrayOf(1, 2, 3))
        sealer.storeAnchor(byteArrayOf(4, 5))
        assertArrayEquals(byteArrayOf(4, 5), sealer.loadAnchor())
        val unreadable = KeystoreSealer(keys) { key } // a directory where the anchor should be
        assertThrows(SealerFailedException::class.java) { unreadable.loadAnchor() }
        assertThrows(SealerFailedException::class.java) { unreadable.storeAnchor(byteArrayOf(1)) }
    }
}
