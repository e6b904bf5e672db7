// What the view models need from the device, implemented by the Android UI layer
// (and by fakes in tests). No Android types cross these interfaces.
package org.consentkit.sample.model

import org.consentkit.Feature
import org.consentkit.OsPermission

/** The OS's own runtime permissions (Android: ContextCompat / ActivityResult). */
interface OsPermissions {
    fun current(feature: Feature): OsPermission
    fun request(feature: Feature, onResult: (OsPermission) -> Unit)
}

/** Reads the clipboard; only called inside a clipboard use session. */
fun interface ClipboardReader {
    fun readText(): String?
}

enum class Orientation { PORTRAIT, LANDSCAPE }

/** The motion sensors, read for orientation while shooting only. */
interface OrientationSensor {
    fun start(onChange: (Orientation) -> Unit)
    fun stop()
}

/** The camera hardware (Android: CameraX). */
interface CameraHardware {
    fun capturePhoto(orientation: Orientation)
    fun startRecording(withAudio: Boolean)
    fun stopRecording()
}

/** The share sheet. */
fun interface Sharer {
    fun share(fileName: String, mimeType: String, content: String)
}
