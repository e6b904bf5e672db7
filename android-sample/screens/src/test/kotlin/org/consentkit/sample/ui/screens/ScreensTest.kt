package org.consentkit.sample.ui.screens

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.MaterialTheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.toAwtImage
import androidx.compose.ui.test.ComposeUiTest
import androidx.compose.ui.test.assertIsOff
import androidx.compose.ui.test.captureToImage
import androidx.compose.ui.test.assertIsOn
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.onRoot
import androidx.compose.ui.test.onAllNodesWithText
import androidx.compose.ui.test.assertCountEquals
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.runDesktopComposeUiTest
import org.consentkit.Actor
import org.consentkit.AgeSource
import org.consentkit.PolicyStatus
import org.consentkit.ConsentConfig
import org.consentkit.ConsentStore
import org.consentkit.Feature
import org.consentkit.GrantScope
import org.consentkit.SdkPolicy
import org.consentkit.consentConfig
import org.consentkit.isAllowed
import org.consentkit.openConsentStore
import org.consentkit.sample.model.CameraViewModel
import org.consentkit.sample.model.FakeCamera
import org.consentkit.sample.model.FakeOs
import org.consentkit.sample.model.FakeSensor
import org.consentkit.sample.model.PolicyViewModel
import org.consentkit.sample.model.PrivacyReportViewModel
import org.consentkit.sample.model.PrivacySettingsViewModel
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import javax.imageio.ImageIO

private fun sdk(id: String, name: String, purpose: String, vararg requires: Feature) = SdkPolicy(
    id = id,
    name = name,
    vendor = "Example Ltd.",
    purpose = purpose,
    dataCollected = listOf("Device identifiers"),
    requires = requires.toList(),
    privacyPolicyUrl = "https://$id.example.com/privacy",
    notForMinors = false,
)

/** The sample app as a Chinese app must be: a policy to agree to first, and its SDK catalogue. */
private fun chineseApp() = ConsentConfig(
    appId = "com.example.camera",
    policyRevision = 1u,
    sdks = listOf(sdk("ads", "Example Ads", "Advertising"), sdk("ar_filters", "Example AR Filters", "Face filters", Feature.CAMERA)),
    jurisdiction = "CN",
)

/** A phone-tall window, so a screenshot shows a whole screen. */
private fun screenTest(block: ComposeUiTest.() -> Unit) = runDesktopComposeUiTest(width = 720, height = 1280) { block() }

/** The screens over the real library, each test writing what it saw as a PNG. */
class ScreensTest {
    @TempDir
    lateinit var dir: File
    private lateinit var store: ConsentStore
    private val closing = mutableListOf<AutoCloseable>()

    private fun open(config: ConsentConfig): ConsentStore {
        // On screen, as the app's ForegroundTracker reports (a store is in the background until told).
        store = openConsentStore(dir, config).apply { setForeground(true) }
        closing += store
        return store
    }

    private fun cameraVm() = CameraViewModel(store, FakeOs(), FakeCamera { store }, FakeSensor { store }) { "SHARE-42" }
        .also { closing += it }

    private fun settingsVm() = PrivacySettingsViewModel(store) { _, _, _ -> }.also { closing += it }

    private fun policyVm() = PolicyViewModel(store).also { closing += it }

    @AfterEach
    fun tearDown() = closing.asReversed().forEach { it.close() }

    private fun ComposeUiTest.show(content: @Composable () -> Unit) = setContent {
        MaterialTheme { Column(Modifier.fillMaxSize().background(Color.White)) { content() } }
    }

    /** What the screen shows now, as `screenshots.dir/name.png`. */
    private fun ComposeUiTest.screenshot(name: String) {
        waitForIdle()
        val out = File(System.getProperty("screenshots.dir", "target/screenshots"))
        out.mkdirs()
        val file = File(out, "$name.png")
        ImageIO.write(onRoot().captureToImage().toAwtImage(), "png", file)
        assertTrue(file.length() > 2_000, "$file is an image")
    }

    @Test
    fun `first launch shows the policy before anything and the catalogue holds every SDK until it is agreed`() =
        screenTest {
            open(chineseApp())
            val policy = policyVm()
            val settings = settingsVm()
            show { PolicyRoute(policy); PrivacyRoute(settings, policy) }
            onNodeWithTag("policy-dialog").assertExists()
            onAllNodesWithText("Held: the privacy policy is not agreed to", useUnmergedTree = true)
                .assertCountEquals(2)
            screenshot("policy-dialog")
            onNodeWithText("Agree").performClick()
            waitForIdle()
            onNodeWithTag("policy-dialog").assertDoesNotExist()
            assertTrue(store.sdkStatus("ads").mayStart)
            onNodeWithText("Held: needs camera", substring = true, useUnmergedTree = true).assertExists()
            onNodeWithText("Allowed to run", substring = true, useUnmergedTree = true).assertExists()
            screenshot("sdk-catalogue")
        }

    @Test
    fun `a child says they are under 14 in the dialog and the agreement recorded is the guardian's`() = screenTest {
        open(chineseApp())
        val policy = policyVm()
        show { PolicyRoute(policy) }
        onNodeWithText("I am under 14").performClick()
        waitForIdle()
        onNodeWithText("your parent or guardian agrees for you", substring = true).assertExists()
        screenshot("policy-dialog-minor")
        onNodeWithText("My guardian agrees").performClick()
        waitForIdle()
        onNodeWithTag("policy-dialog").assertDoesNotExist()
        assertEquals(AgeSource.DECLARED, store.ageSignal()?.source)
        assertEquals(Actor.GUARDIAN, store.policyState().decidedBy)
        assertEquals(PolicyStatus.AGREED, store.policyState().status)
    }

    @Test
    fun `declining is basic mode and the shutter explains instead of prompting`() = screenTest {
        open(chineseApp())
        val policy = policyVm()
        val camera = cameraVm()
        show { PolicyRoute(policy); CameraRoute(camera) }
        onNodeWithText("Disagree").performClick()
        waitForIdle()
        onNodeWithTag("basic-mode").assertExists()
        onNodeWithText("Shutter").performClick()
        waitForIdle()
        onNodeWithTag("prompt").assertDoesNotExist()
        onNodeWithText("Basic mode: agree to the privacy policy", substring = true).assertExists()
        screenshot("basic-mode")
        onNodeWithText("Review the privacy policy").performClick()
        waitForIdle()
        onNodeWithTag("policy-dialog").assertExists()
    }

    @Test
    fun `the shutter prompts at that moment, and after a no the app waits until the advised time`() =
        screenTest {
            open(consentConfig("com.example.camera"))
            val camera = cameraVm()
            show { CameraRoute(camera) }
            onNodeWithTag("prompt").assertDoesNotExist()
            onNodeWithText("Shutter").performClick()
            waitForIdle()
            onNodeWithText("Allow Camera?").assertExists()
            screenshot("camera-prompt")
            onNodeWithText("Don't allow").performClick()
            onNodeWithText("Shutter").performClick()
            waitForIdle()
            onNodeWithTag("prompt").assertDoesNotExist()
            onNodeWithText("We won't ask again before", substring = true).assertExists()
            screenshot("camera-not-now")
            assertEquals(0, store.privacyReport(0, Long.MAX_VALUE).features[0].uses.toInt())
        }

    @Test
    fun `revoking the camera in settings while recording stops the recording at once`() = screenTest {
        open(consentConfig("com.example.camera"))
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        store.deny(Feature.MICROPHONE, Actor.USER)
        val camera = cameraVm()
        val settings = settingsVm()
        val policy = policyVm()
        show { CameraRoute(camera); PrivacyRoute(settings, policy) }
        onNodeWithText("Record").performClick()
        waitForIdle()
        onNodeWithText("Recording without sound").assertExists()
        onNodeWithTag("toggle-camera").assertIsOn()
        onNodeWithTag("toggle-camera").performClick()
        waitForIdle()
        onNodeWithTag("toggle-camera").assertIsOff()
        onNodeWithText("Recording stopped", substring = true).assertExists()
        assertTrue(!store.isAllowed(Feature.CAMERA))
        screenshot("revoked-while-recording")
    }

    @Test
    fun `the report shows each feature's uses and a timeline`() = screenTest {
        open(consentConfig("com.example.camera"))
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
        store.grant(Feature.MOTION_SENSORS, GrantScope.UNTIL_REVOKED, Actor.USER)
        val camera = cameraVm()
        repeat(3) { camera.onShutter() }
        val report = PrivacyReportViewModel(store, sharer = { _, _, _ -> })
        show { ReportRoute(report) }
        onNodeWithText("Camera: 3 uses", substring = true).assertExists()
        onNodeWithText("Motion sensors: 3 uses", substring = true).assertExists()
        assertEquals(6, report.state.value.timeline.size, "a bar per session")
        screenshot("privacy-report-screen")
    }
}
