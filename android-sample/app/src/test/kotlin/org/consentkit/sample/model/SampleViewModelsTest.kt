package org.consentkit.sample.model

import org.consentkit.Actor
import org.consentkit.AgeSource
import org.consentkit.ConsentConfig
import org.consentkit.PolicyStatus
import org.consentkit.AuditFilter
import org.consentkit.AuditKind
import org.consentkit.ConsentStatus
import org.consentkit.ConsentStore
import org.consentkit.Feature
import org.consentkit.GrantScope
import org.consentkit.OsPermission
import org.consentkit.consentConfig
import org.consentkit.isAllowed
import org.consentkit.openConsentStore
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File

class SampleViewModelsTest {
    @TempDir
    lateinit var dir: File
    private lateinit var store: ConsentStore
    private val os = FakeOs()
    private val shared = mutableListOf<Triple<String, String, String>>()
    private val camera = FakeCamera { store }
    private val sensor = FakeSensor { store }
    private var clipboardText: String? = "SHARE-42"
    private lateinit var cameraVm: CameraViewModel

    @BeforeEach
    fun setUp() {
        // On screen, as ForegroundTracker reports when the activity starts (a store is in the
        // background until told).
        store = openConsentStore(dir, consentConfig("com.example.camera")).apply { setForeground(true) }
        cameraVm = CameraViewModel(store, os, camera, sensor) { clipboardText }
    }

    @AfterEach
    fun tearDown() {
        cameraVm.close()
        store.close()
    }

    private fun refusals() = store.auditLog(AuditFilter()).count { it.kind == AuditKind.SESSION_REFUSED }

    @Test
    fun `nothing is asked at launch and the shutter prompts at the moment of use`() {
        assertNull(cameraVm.state.value.prompt)
        assertEquals(0, refusals(), "opening the screen touches no feature")
        cameraVm.onShutter()
        val prompt = cameraVm.state.value.prompt
        assertNotNull(prompt, "the shutter asks right then")
        assertEquals(Feature.CAMERA, prompt!!.feature)
        assertEquals("Take a photo when you tap the shutter", prompt.why)
        assertTrue(camera.photos.isEmpty())
        cameraVm.onPromptAnswer(allow = true)
        assertEquals(listOf(Feature.CAMERA), os.asked, "then the OS dialog")
        assertEquals(1, camera.photos.size)
        assertEquals(listOf(true), camera.allowedAtEachUse, "the photo was taken inside a session")
        assertFalse(store.isAllowed(Feature.CAMERA), "and the session ended after it")
    }

    @Test
    fun `orientation is read from the motion sensors only while shooting and only with consent`() {
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        cameraVm.onShutter()
        assertEquals(0, sensor.reads, "no consent for the sensors: portrait, sensors untouched")
        assertEquals(Orientation.PORTRAIT, camera.photos.last())
        store.grant(Feature.MOTION_SENSORS, GrantScope.UNTIL_REVOKED, Actor.USER)
        cameraVm.onShutter()
        assertEquals(listOf(true), sensor.cameraOpenDuringRead)
        assertEquals(Orientation.LANDSCAPE, camera.photos.last())
        assertFalse(store.isAllowed(Feature.MOTION_SENSORS))
    }

    @Test
    fun `declining the microphone records a silent video and stopping ends both sessions`() {
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        cameraVm.onRecordStart()
        assertEquals(Feature.MICROPHONE, cameraVm.state.value.prompt?.feature)
        assertFalse(store.isAllowed(Feature.CAMERA), "the camera is not held while asking")
        cameraVm.onPromptAnswer(allow = false)
        assertEquals(ConsentStatus.DENIED, store.state(Feature.MICROPHONE).status)
        assertTrue(cameraVm.state.value.recording)
        assertEquals(false, camera.recordingWithAudio)
        assertTrue(store.isAllowed(Feature.CAMERA))
        cameraVm.onRecordStop()
        assertNull(camera.recordingWithAudio)
        assertFalse(store.isAllowed(Feature.CAMERA))
    }

    @Test
    fun `revoking the camera in settings stops a recording at once`() {
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        store.grant(Feature.MICROPHONE, GrantScope.UNTIL_REVOKED, Actor.USER)
        cameraVm.onRecordStart()
        assertEquals(true, camera.recordingWithAudio)
        PrivacySettingsViewModel(store) { _, _, _ -> }.use { it.setEnabled(Feature.CAMERA, false) }
        assertFalse(cameraVm.state.value.recording)
        assertNull(camera.recordingWithAudio)
        assertTrue(cameraVm.state.value.notice!!.contains("camera access ended"))
        assertFalse(store.isAllowed(Feature.MICROPHONE), "the microphone session ended with it")
    }

    @Test
    fun `the background ends the recording and nothing starts until the foreground`() {
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        store.deny(Feature.MICROPHONE, Actor.USER)
        cameraVm.onRecordStart()
        cameraVm.onBackground()
        assertFalse(cameraVm.state.value.recording)
        assertFalse(store.isAllowed(Feature.CAMERA))
        cameraVm.onShutter()
        assertTrue(camera.photos.isEmpty())
        cameraVm.onForeground()
        cameraVm.onShutter()
        assertEquals(1, camera.photos.size)
    }

    @Test
    fun `pasting a share code asks for a single use and reads the clipboard inside it`() {
        cameraVm.onPasteShareCode()
        assertTrue(cameraVm.state.value.prompt!!.offerOnce)
        cameraVm.onPromptAnswer(allow = true, once = true)
        assertEquals("SHARE-42", cameraVm.state.value.pastedCode)
        assertEquals(ConsentStatus.NOT_ASKED, store.state(Feature.CLIPBOARD).status, "the single use was consumed")
        cameraVm.onPasteShareCode()
        assertNotNull(cameraVm.state.value.prompt, "asked again next time")
    }

    @Test
    fun `an OS denial is explained instead of used`() {
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        os.set(Feature.CAMERA, OsPermission.DENIED)
        cameraVm.onShutter()
        assertTrue(camera.photos.isEmpty())
        assertEquals("Camera is blocked in the system settings.", cameraVm.state.value.notice)
    }

    @Test
    fun `settings show every feature with its why lines and toggles decide`() {
        PrivacySettingsViewModel(store) { name, type, content -> shared += Triple(name, type, content) }.use { vm ->
            assertEquals(6, vm.state.value.rows.size)
            assertTrue(vm.state.value.rows.none { it.enabled }, "everything starts off")
            assertEquals(listOf("Paste a login code you copied", "Paste a share code you copied",
                "Read a channel code to count where installs come from"), vm.row(Feature.CLIPBOARD).why)
            assertEquals("Enable Ads Personalization", vm.adsPersonalization.title)
            vm.setAdsPersonalization(true)
            assertTrue(vm.adsPersonalization.enabled)
            vm.setAdsPersonalization(false)
            assertEquals(ConsentStatus.DENIED, vm.adsPersonalization.status)
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            assertTrue(vm.row(Feature.CAMERA).enabled, "rows follow changes made elsewhere")
            vm.exportMyData()
            assertEquals("consent-export.json", shared.single().first)
            assertTrue(shared.single().third.contains("\"consent_records\""))
        }
    }

    @Test
    fun `delete my data needs a confirmation and then erases everything`() {
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        PrivacySettingsViewModel(store) { _, _, _ -> }.use { vm ->
            vm.requestDelete()
            assertTrue(vm.state.value.confirmingDelete)
            vm.cancelDelete()
            assertTrue(vm.row(Feature.CAMERA).enabled)
            vm.requestDelete()
            vm.confirmDelete()
            assertFalse(vm.row(Feature.CAMERA).enabled)
            // The erasure, then the app still on screen (a new chain starts in the background).
            assertEquals(2uL, store.head().seq)
        }
    }

    @Test
    fun `a child's own word makes them a minor, and the agreement recorded is the guardian's`() {
        val cn = ConsentConfig(appId = "com.example.camera", policyRevision = 1u, jurisdiction = "CN")
        openConsentStore(File(dir, "cn"), cn).apply { setForeground(true) }.use { cnStore ->
            PolicyViewModel(cnStore, ageOfConsent = 14).use { vm ->
                assertTrue(vm.state.value.dialogShown)
                assertFalse(vm.state.value.minor)
                vm.declareUnderAge()
                assertTrue(vm.state.value.minor, "the dialog now asks for the guardian")
                assertEquals(AgeSource.DECLARED, cnStore.ageSignal()?.source, "recorded as the person's own word")
                vm.agree()
                assertEquals(PolicyStatus.AGREED, cnStore.policyState().status)
                assertEquals(Actor.GUARDIAN, cnStore.policyState().decidedBy)
            }
        }
    }

    @Test
    fun `a damaged store shows the banner with everything off`() {
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        cameraVm.close()
        store.close()
        val log = File(dir, "consent.log")
        val bytes = log.readBytes()
        bytes[200] = (bytes[200].toInt() xor 1).toByte() // inside the first records
        log.writeBytes(bytes)
        // On screen, as ForegroundTracker reports when the activity starts (a store is in the
        // background until told).
        store = openConsentStore(dir, consentConfig("com.example.camera")).apply { setForeground(true) }
        cameraVm = CameraViewModel(store, os, camera, sensor) { clipboardText }
        PrivacySettingsViewModel(store) { _, _, _ -> }.use { vm ->
            assertNotNull(vm.state.value.damage)
            assertTrue(vm.state.value.rows.none { it.enabled })
        }
    }

    @Test
    fun `the report counts a week of uses and lists the log newest first`() {
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        cameraVm.onShutter()
        cameraVm.onShutter()
        cameraVm.onPasteShareCode() // never asked: refused, then prompted
        val vm = PrivacyReportViewModel(store, { name, _, content -> shared += Triple(name, "", content) })
        val camera = vm.state.value.rows.first { it.feature == Feature.CAMERA }
        assertEquals(2, camera.uses)
        assertNotNull(camera.lastUse)
        val clipboard = vm.state.value.rows.first { it.feature == Feature.CLIPBOARD }
        assertEquals(0 to 1, clipboard.refused to clipboard.toAsk)
        val seqs = vm.state.value.log.map { it.seq }
        assertEquals(seqs.sortedDescending(), seqs)
        assertTrue(vm.state.value.log.first().text.startsWith("session refused"))
        vm.exportAccessReport()
        assertEquals(4, shared.single().third.trim().lines().size, "two intervals, begin and end")
    }

    @Test
    fun `the timeline of a young history runs from its first record, not from a week ago`() {
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        cameraVm.onShutter()
        Thread.sleep(300)
        cameraVm.onShutter()
        val state = PrivacyReportViewModel(store, { _, _, _ -> }).state.value
        val bars = state.timeline.filter { it.feature == Feature.CAMERA }.sortedBy { it.start }
        assertEquals(2, bars.size)
        assertTrue(bars.all { it.start in 0f..1f && it.end in it.start..1f }, "$bars")
        // 300 ms apart: over a whole week the two would sit within a millionth of each other.
        assertTrue(bars[1].start - bars[0].start > 0.2f, "$bars")
        assertTrue(state.timelineFrom.matches(Regex("\\d\\d:\\d\\d:\\d\\d(\\.\\d{3})?")), state.timelineFrom)
    }
}
