// The camera screen: every use opens a session at the moment of use, prompting right then.
package org.consentkit.sample.model

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.consentkit.Actor
import org.consentkit.ConsentChange
import org.consentkit.ConsentException
import org.consentkit.ConsentObserver
import org.consentkit.ConsentStore
import org.consentkit.Feature
import org.consentkit.GrantScope
import org.consentkit.InBackgroundException
import org.consentkit.OnlyDuringException
import org.consentkit.OsPermission
import org.consentkit.OsPermissionDeniedException
import org.consentkit.PromptAdviceNotNow
import org.consentkit.PromptAdviceOpenSettings
import org.consentkit.UseSession
import org.consentkit.isActive
import org.consentkit.shouldPrompt
import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter

/** The in-app consent prompt, shown at the moment of use. */
data class ConsentPrompt(val feature: Feature, val title: String, val why: String, val offerOnce: Boolean)

data class CameraUiState(
    val prompt: ConsentPrompt? = null,
    val notice: String? = null,
    val recording: Boolean = false,
    val recordingWithAudio: Boolean = false,
    val photosTaken: Int = 0,
    val lastOrientation: Orientation? = null,
    val pastedCode: String? = null,
)

class CameraViewModel(
    private val store: ConsentStore,
    private val os: OsPermissions,
    private val camera: CameraHardware,
    private val sensor: OrientationSensor,
    /** Where "we won't ask again before …" times are told. */
    private val zone: ZoneId = ZoneId.systemDefault(),
    private val clipboard: ClipboardReader,
) : AutoCloseable {
    private val mutableState = MutableStateFlow(CameraUiState())
    val state: StateFlow<CameraUiState> = mutableState.asStateFlow()

    private var pendingAction: (() -> Unit)? = null
    private var recordingSessions: List<UseSession> = emptyList()

    // A revocation or the background can end the recording's sessions at any moment.
    private val subscription = store.subscribe(object : ConsentObserver {
        override fun onChange(change: ConsentChange) {
            val feature = change.feature ?: return
            val sessions = recordingSessions
            if (sessions.isNotEmpty() && sessions.any { !it.isActive() }) {
                stopRecording("Recording stopped: ${Texts.title(feature).lowercase()} access ended")
            }
        }
    })

    fun onShutter() {
        val session = open(Feature.CAMERA, "shoot_photo", ::onShutter) ?: return
        session.use {
            val orientation = readOrientationWhileShooting()
            camera.capturePhoto(orientation)
            mutableState.update { it.copy(photosTaken = it.photosTaken + 1, lastOrientation = orientation, notice = null) }
        }
    }

    fun onRecordStart() {
        if (state.value.recording) return
        val cameraSession = open(Feature.CAMERA, "record_video", ::onRecordStart) ?: return
        val microphone = open(Feature.MICROPHONE, "record_video", ::onRecordStart, quietWhenDenied = true)
        if (microphone == null && state.value.prompt != null) {
            cameraSession.end() // asking for the microphone first; the answer restarts recording
            return
        }
        recordingSessions = listOfNotNull(cameraSession, microphone)
        camera.startRecording(withAudio = microphone != null)
        mutableState.update { it.copy(recording = true, recordingWithAudio = microphone != null, notice = null) }
    }

    fun onRecordStop() = stopRecording(notice = null)

    fun onPasteShareCode() {
        val session = open(Feature.CLIPBOARD, "share_code", ::onPasteShareCode, offerOnce = true) ?: return
        session.use { mutableState.update { it.copy(pastedCode = clipboard.readText(), notice = null) } }
    }

    /** The user answered the prompt: a grant or a denial by the user, then the OS's own dialog. */
    fun onPromptAnswer(allow: Boolean, once: Boolean = false) {
        val prompt = state.value.prompt ?: return
        val resume = pendingAction
        pendingAction = null
        mutableState.update { it.copy(prompt = null) }
        if (!allow) {
            store.deny(prompt.feature, Actor.USER)
            resume?.invoke() // continues without the feature where it can (a silent video)
            return
        }
        store.grant(prompt.feature, if (once) GrantScope.ONCE else GrantScope.UNTIL_REVOKED, Actor.USER)
        if (os.current(prompt.feature) == OsPermission.UNKNOWN) {
            os.request(prompt.feature) { result ->
                store.setOsPermission(prompt.feature, result)
                resume?.invoke()
            }
        } else {
            resume?.invoke()
        }
    }

    /** The camera screen went away: nothing stays in use. */
    fun onScreenHidden() = stopRecording(notice = null)

    fun onBackground() {
        store.setForeground(false)
        stopRecording(notice = null)
    }

    fun onForeground() = store.setForeground(true)

    override fun close() {
        stopRecording(notice = null)
        subscription.cancel()
    }

    private fun stopRecording(notice: String?) {
        val sessions = recordingSessions
        recordingSessions = emptyList()
        if (sessions.isEmpty()) return
        camera.stopRecording()
        sessions.forEach { it.end() }
        mutableState.update { it.copy(recording = false, recordingWithAudio = false, notice = notice) }
    }

    /** Motion sensors only while the camera session is open, and only with their own consent. */
    private fun readOrientationWhileShooting(): Orientation {
        val session = try {
            syncOsPermission(Feature.MOTION_SENSORS)
            store.beginUse(Feature.MOTION_SENSORS, "orientation")
        } catch (notAllowed: ConsentException) {
            return Orientation.PORTRAIT
        }
        var orientation = Orientation.PORTRAIT
        session.use {
            sensor.start { orientation = it }
            sensor.stop()
        }
        return orientation
    }

    private fun syncOsPermission(feature: Feature) {
        val current = os.current(feature)
        if (current != store.state(feature).osPermission) store.setOsPermission(feature, current)
    }

    /** Opens a use session, or asks the user now (and resumes [retry] after the answer), or says why not. */
    private fun open(
        feature: Feature,
        purpose: String,
        retry: () -> Unit,
        offerOnce: Boolean = false,
        quietWhenDenied: Boolean = false,
    ): UseSession? {
        syncOsPermission(feature)
        return try {
            store.beginUse(feature, purpose)
        } catch (e: ConsentException) {
            val title = Texts.title(feature)
            // The store says whether to ask now: at the moment of use, not again soon after a no.
            val advice = store.promptAdvice(feature)
            val notice = when {
                e is InBackgroundException || e is OnlyDuringException -> null
                e.needsPolicyAgreement() -> "Basic mode: agree to the privacy policy to use the ${title.lowercase()}."
                advice.shouldPrompt -> {
                    pendingAction = retry
                    mutableState.update { it.copy(prompt = ConsentPrompt(feature, title, Texts.why(purpose), offerOnce)) }
                    return null
                }
                quietWhenDenied -> null
                // The OS said no: its quiet period runs too, but the way back is the system settings.
                e is OsPermissionDeniedException -> "$title is blocked in the system settings."
                advice is PromptAdviceNotNow ->
                    "You said no to ${title.lowercase()}. We won't ask again before ${time(advice.untilMs)}; " +
                        "you can turn it on in Settings › Privacy."
                e is OsPermissionDeniedException || advice is PromptAdviceOpenSettings ->
                    "$title is blocked in the system settings."
                else -> e.message
            }
            mutableState.update { it.copy(notice = notice) }
            null
        }
    }

    private fun time(ms: Long): String =
        DateTimeFormatter.ofPattern("EEE HH:mm").format(Instant.ofEpochMilli(ms).atZone(zone))
}
