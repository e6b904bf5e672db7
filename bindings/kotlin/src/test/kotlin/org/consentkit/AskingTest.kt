package org.consentkit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.io.File

class AskingTest {
    @TempDir
    lateinit var dir: File

    private fun open(config: ConsentConfig = ConsentConfig(appId = "com.example.camera", jurisdiction = "CN")) =
        openConsentStore(dir, config).onScreen()

    @Test
    fun `a purpose the grant does not cover is asked for on its own`(): Unit = open().use { store ->
        store.grantPurposes(Feature.CLIPBOARD, "login")
        store.withUse(Feature.CLIPBOARD, "login") {}
        val refused = assertThrows<ConsentRequiredException> { store.beginUse(Feature.CLIPBOARD, "channel_stats") }
        assertEquals("channel_stats", refused.purpose)
        assertTrue(refused.shouldAsk())
        store.grantPurposes(Feature.CLIPBOARD, "channel_stats")
        assertEquals(listOf("login", "channel_stats"), store.state(Feature.CLIPBOARD).grantedPurposes)
        assertThrows<UnknownPurposeException> { store.grantPurposes(Feature.CLIPBOARD, "contacts") }
    }

    @Test
    fun `after a no the advice is not now, the OS's no included`(): Unit = open().use { store ->
        assertTrue(store.promptAdvice(Feature.MICROPHONE).shouldPrompt)
        store.deny(Feature.MICROPHONE, Actor.USER)
        val refused = assertThrows<ConsentDeniedException> { store.beginUse(Feature.MICROPHONE, "voice_note") }
        val advice = store.adviceFor(refused)
        assertTrue(advice is PromptAdviceNotNow, "$advice")
        assertFalse(advice.shouldPrompt)
        val hours = ((advice as PromptAdviceNotNow).untilMs - System.currentTimeMillis()) / 3_600_000.0
        assertEquals(48.0, hours, 0.1)
        // An OS refusal starts the same quiet period (Settings is advised once it has run).
        store.setOsPermission(Feature.CAMERA, OsPermission.DENIED_PERMANENTLY)
        val osAdvice = store.promptAdvice(Feature.CAMERA)
        assertTrue(osAdvice is PromptAdviceNotNow, "$osAdvice")
        assertFalse(osAdvice.shouldPrompt)
    }

    @Test
    fun `only a guardian grants for a minor`(): Unit = open().use { store ->
        store.setAgeSignal(ageRange(13, 15, AgeSource.OS_AGE_RANGE))
        assertEquals(PromptAdviceAskGuardian, store.promptAdvice(Feature.CAMERA))
        val refused = assertThrows<GuardianRequiredException> {
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        }
        assertTrue(refused.needsGuardian())
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.GUARDIAN)
        store.withUse(Feature.CAMERA, "shoot_photo") { assertTrue(store.isAllowed(Feature.CAMERA)) }
        assertEquals(13u, store.ageSignal()?.lower)
    }

    @Test
    fun `motion sensors are read only while the camera shoots`(): Unit = open().use { store ->
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        store.grant(Feature.MOTION_SENSORS, GrantScope.UNTIL_REVOKED, Actor.USER)
        val alone = assertThrows<OnlyDuringException> { store.beginUse(Feature.MOTION_SENSORS, "orientation") }
        assertEquals(Feature.CAMERA, alone.during)
        store.withUse(Feature.CAMERA, "shoot_photo") {
            val sensors = store.beginUse(Feature.MOTION_SENSORS, "orientation")
            assertTrue(sensors.isActive())
            it.end()
            assertFalse(sensors.isActive(), "ended with the camera")
        }
    }

    @Test
    fun `compact keeps every decision and nothing young is cut`(): Unit = open().use { store ->
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        store.withUse(Feature.CAMERA, "shoot_photo") {}
        assertEquals(0uL, store.compact(), "nothing is older than the retention window")
        assertEquals(1uL, store.historyStartSeq())
        assertEquals(ConsentStatus.GRANTED, store.state(Feature.CAMERA).status)
    }
}
