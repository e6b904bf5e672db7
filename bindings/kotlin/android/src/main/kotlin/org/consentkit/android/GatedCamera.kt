// The camera bound for a camera use session and unbound the moment it ends, behind a small
// interface the app adapts its camera library to (CameraX is not on Maven Central).
package org.consentkit.android

import org.consentkit.ConsentStore
import org.consentkit.Feature

/** What the app's camera library does: bind the camera to its use case, and unbind it. */
interface CameraBinding {
    /** Binds the camera (CameraX: `bindToLifecycle`). Called inside a camera use session only. */
    fun bind()

    /** Unbinds it (CameraX: `unbindAll`). Called once, when the session ends for any reason. */
    fun unbind()
}

/**
 * Gated access to the camera: [open] begins a camera use session for its purpose — the store's
 * refusal is thrown before the camera is bound — binds the camera, and unbinds it when the
 * session ends for any reason (the app closing the returned scope, a revoke, the background).
 */
class GatedCamera(private val store: ConsentStore, private val binding: CameraBinding) {
    /** The camera, bound for a session for [purpose]; close the scope when the shot is done. */
    fun open(purpose: String): SessionScope =
        SessionScope.open(store, store.beginUse(Feature.CAMERA, purpose), binding::bind, binding::unbind)
}
