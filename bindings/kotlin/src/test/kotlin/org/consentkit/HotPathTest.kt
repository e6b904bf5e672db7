package org.consentkit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.util.concurrent.CountDownLatch
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread

/** `isAllowed` through the hot read path: the core's answer, never stale, from any thread. */
class HotPathTest {
    @TempDir
    lateinit var dir: File

    private fun open() = openConsentStore(dir, consentConfig("com.example.camera")).onScreen()

    /** Holds the feature bit order (`feature.ordinal`) to the core's, for every feature. */
    @Test
    fun `each feature answers from its own bit, as the core's state says`() {
        open().use { store ->
            Feature.entries.forEach { store.grant(it, GrantScope.UNTIL_REVOKED, Actor.USER) }
            for (feature in Feature.entries) {
                // Motion sensors only while the camera shoots (their default policy).
                val camera = if (feature == Feature.MOTION_SENSORS) store.beginUse(Feature.CAMERA, "shoot_photo") else null
                val inUse = setOfNotNull(feature, camera?.feature())
                store.beginUse(feature, policyPurposeOf(feature)).use {
                    for (other in Feature.entries) {
                        assertEquals(other in inUse, store.isAllowed(other), "$other while $inUse are in use")
                        assertEquals(store.state(other).allowed, store.isAllowed(other))
                    }
                }
                camera?.close()
                assertFalse(store.isAllowed(feature), "$feature after its session ended")
            }
        }
    }

    @Test
    fun `after a turn-off call returns no thread reads the old answer, from the store or the session`() {
        val turnOffs: List<Pair<String, (ConsentStore, UseSession) -> Unit>> = listOf(
            "revoke" to { s, _ -> s.revoke(Feature.CAMERA, Actor.USER) },
            "deny" to { s, _ -> s.deny(Feature.CAMERA, Actor.USER) },
            "OS denial" to { s, _ -> s.setOsPermission(Feature.CAMERA, OsPermission.DENIED) },
            "background" to { s, _ -> s.setForeground(false) },
            "close" to { s, _ -> s.close() },
            "the session's end" to { _, session -> session.end() },
        )
        for ((name, turnOff) in turnOffs) repeat(20) { round ->
            val roundDir = File(dir, "$name-$round")
            openConsentStore(roundDir, consentConfig("com.example.camera")).onScreen().use { store ->
                store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
                val session = store.beginUse(Feature.CAMERA, "shoot_photo")
                val returned = AtomicBoolean(false)
                val stale = AtomicInteger(0)
                val started = CountDownLatch(4)
                val readers = (1..4).map {
                    thread {
                        started.countDown()
                        var after = 0
                        while (after < 1_000) {
                            val turnedOff = returned.get() // read before the answer
                            val inUse = store.isAllowed(Feature.CAMERA) || session.isActive()
                            if (inUse && turnedOff) stale.incrementAndGet()
                            if (turnedOff) after++
                        }
                    }
                }
                started.await()
                assertTrue(store.isAllowed(Feature.CAMERA) && session.isActive())
                turnOff(store, session)
                returned.set(true)
                readers.forEach { it.join() }
                assertEquals(0, stale.get(), "$name, round $round: an answer read after the call returned was stale")
                assertFalse(session.isActive())
            }
        }
    }

    @Test
    fun `two stores answer for themselves, and a store released later still answers off`() {
        val a = openConsentStore(File(dir, "a"), consentConfig("com.example.a")).onScreen()
        val b = openConsentStore(File(dir, "b"), consentConfig("com.example.b"))
        a.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        val session = a.beginUse(Feature.CAMERA, "shoot_photo")
        assertTrue(a.isAllowed(Feature.CAMERA))
        assertFalse(b.isAllowed(Feature.CAMERA))
        a.close()
        assertFalse(a.isAllowed(Feature.CAMERA), "closed: everything off")
        session.close()
        b.close()
    }

    private fun policyPurposeOf(feature: Feature): String = when (feature) {
        Feature.CAMERA -> "shoot_photo"
        Feature.MICROPHONE -> "voice_note"
        Feature.PHOTO_LIBRARY -> "save_media"
        Feature.CLIPBOARD -> "share_code"
        Feature.MOTION_SENSORS -> "orientation"
        Feature.AD_PERSONALIZATION -> "personalized_ads"
    }
}
