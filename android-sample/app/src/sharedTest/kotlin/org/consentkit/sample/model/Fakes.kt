// Fakes of the platform interfaces, shared by the view-model tests and the screen tests.
package org.consentkit.sample.model

import org.consentkit.ConsentStore
import org.consentkit.Feature
import org.consentkit.OsPermission
import org.consentkit.isAllowed

class FakeOs(var answer: OsPermission = OsPermission.GRANTED) : OsPermissions {
    val asked = mutableListOf<Feature>()
    private val known = mutableMapOf<Feature, OsPermission>()
    override fun current(feature: Feature) = known[feature] ?: OsPermission.UNKNOWN
    override fun request(feature: Feature, onResult: (OsPermission) -> Unit) {
        asked += feature
        known[feature] = answer
        onResult(answer)
    }
    fun set(feature: Feature, permission: OsPermission) { known[feature] = permission }
}

/** Records what the hardware was asked to do, and whether the store allowed it at that moment. */
class FakeCamera(private val store: () -> ConsentStore) : CameraHardware {
    val photos = mutableListOf<Orientation>()
    var recordingWithAudio: Boolean? = null
    var allowedAtEachUse = mutableListOf<Boolean>()
    override fun capturePhoto(orientation: Orientation) {
        allowedAtEachUse += store().isAllowed(Feature.CAMERA)
        photos += orientation
    }
    override fun startRecording(withAudio: Boolean) {
        allowedAtEachUse += store().isAllowed(Feature.CAMERA)
        recordingWithAudio = withAudio
    }
    override fun stopRecording() { recordingWithAudio = null }
}

class FakeSensor(private val store: () -> ConsentStore) : OrientationSensor {
    var reads = 0
    val cameraOpenDuringRead = mutableListOf<Boolean>()
    override fun start(onChange: (Orientation) -> Unit) {
        reads++
        cameraOpenDuringRead += store().isAllowed(Feature.CAMERA) && store().isAllowed(Feature.MOTION_SENSORS)
        onChange(Orientation.LANDSCAPE)
    }
    override fun stop() {}
}
