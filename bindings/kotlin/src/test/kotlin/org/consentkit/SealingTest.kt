package org.consentkit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File

class SealingTest {
    @TempDir
    lateinit var dir: File

    @TempDir
    lateinit var keyDir: File

    private val key = "a platform key, never exported..".toByteArray()
    private val config = consentConfig("com.example.camera")

    private fun sealer() = HmacSealer(key, File(keyDir, "anchor"))

    @Test
    fun `a store sealed through javax crypto verifies, and its head proves the log later`() {
        val head = openSealedConsentStore(dir, config, sealer()).onScreen().use { store ->
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            store.withUse(Feature.CAMERA, "shoot_photo") {}
            store.head()
        }
        assertNotNull(head.seal)
        openSealedConsentStore(dir, config, sealer()).onScreen().use { store ->
            assertNull(store.recoveryNotice())
            val report = store.verify()
            assertTrue(report.intact)
            assertNotNull(report.sealedThrough, "closing sealed the log")
            assertTrue(store.verifyExtends(head).extends)
            assertFalse(store.verifyExtends(head.copy(seal = "00".repeat(32))).extends)
        }
    }

    @Test
    fun `javax crypto and the core's software sealer compute the same seals`() {
        // The anchor is kept with the key: both sealers share it, as they would share a keystore.
        val anchor = File(keyDir, "anchor")
        openSealedConsentStore(dir, config, HmacSealer(key, anchor)).onScreen().use { store ->
            store.grant(Feature.MICROPHONE, GrantScope.UNTIL_REVOKED, Actor.USER)
        }
        val core = org.consentkit.internal.softwareSealer(key, anchor.path)
        ConsentStore.openSealed(dir.path, config, core).onScreen().use { store ->
            val report = store.verify()
            assertTrue(report.intact, report.problem)
            assertNotNull(report.sealedThrough)
        }
    }

    @Test
    fun `restoring an old copy of the store is caught by the anchor kept with the key`() {
        openSealedConsentStore(dir, config, sealer()).onScreen().use { store ->
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        }
        val copy = File(keyDir, "copy").apply { mkdirs() }
        File(dir, "consent.log").copyTo(File(copy, "consent.log"))
        openSealedConsentStore(dir, config, sealer()).onScreen().use { store ->
            store.revoke(Feature.CAMERA, Actor.USER)
        }
        File(copy, "consent.log").copyTo(File(dir, "consent.log"), overwrite = true)
        File(dir, "consent.snapshot").delete()
        openSealedConsentStore(dir, config, sealer()).onScreen().use { store ->
            val notice = checkNotNull(store.recoveryNotice()) { "the restored copy was not caught" }
            assertTrue(notice.problem.contains("anchored"), notice.problem)
            assertEquals(ConsentStatus.NOT_ASKED, store.state(Feature.CAMERA).status)
            assertFalse(store.isAllowed(Feature.CAMERA))
        }
    }

    @Test
    fun `a sealer that fails is an error, never a door left open`() {
        val broken = object : Sealer {
            override fun mac(message: ByteArray): ByteArray = throw SealerFailedException("keystore locked")
            override fun loadAnchor(): ByteArray? = null
            override fun storeAnchor(anchor: ByteArray) {}
        }
        // A chain is sealed as it starts: without the key, nothing starts and nothing is written.
        val failure = org.junit.jupiter.api.assertThrows<StorageException> {
            openSealedConsentStore(dir, config, broken)
        }
        assertTrue(failure.message!!.contains("keystore locked"), failure.message)
        assertFalse(File(dir, "consent.log").exists(), "nothing written without the key")
        // Opening unsealed is the app's explicit choice, and works.
        ConsentStore.open(dir.path, config).onScreen().use { store ->
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            assertNull(store.head().seal)
        }
    }
}
