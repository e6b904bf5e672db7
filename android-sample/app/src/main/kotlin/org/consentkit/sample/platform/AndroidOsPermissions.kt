// The OS's runtime permissions through the framework's own calls: what the OS says now (never
// asked, granted, denied, denied for good) and the request with its result forwarded by the
// activity. Compiled against android-all and tested under Robolectric.
package org.consentkit.sample.platform

import android.Manifest
import android.app.Activity
import android.content.Context
import android.content.pm.PackageManager
import org.consentkit.Feature
import org.consentkit.OsPermission
import org.consentkit.sample.model.OsPermissions

class AndroidOsPermissions(
    private val activity: Activity,
    private val requestCode: Int = REQUEST_CODE,
) : OsPermissions {
    // Android cannot tell "never asked" from "denied for good" (both: no rationale to show), so
    // the permissions once requested are remembered across launches.
    private val asked = activity.getSharedPreferences("consentkit.os-permissions", Context.MODE_PRIVATE)
    private var pending: Pair<String, (OsPermission) -> Unit>? = null

    override fun current(feature: Feature): OsPermission {
        val permission = manifestPermission(feature) ?: return OsPermission.GRANTED
        return when {
            activity.checkSelfPermission(permission) == PackageManager.PERMISSION_GRANTED -> OsPermission.GRANTED
            activity.shouldShowRequestPermissionRationale(permission) -> OsPermission.DENIED
            asked.getBoolean(permission, false) -> OsPermission.DENIED_PERMANENTLY
            else -> OsPermission.UNKNOWN
        }
    }

    override fun request(feature: Feature, onResult: (OsPermission) -> Unit) {
        val permission = manifestPermission(feature) ?: return onResult(OsPermission.GRANTED)
        // One request at a time: a second one while the OS dialog is up gets what the OS says now.
        if (pending != null) return onResult(current(feature))
        pending = permission to onResult
        activity.requestPermissions(arrayOf(permission), requestCode)
    }

    /**
     * Call from `Activity.onRequestPermissionsResult`; returns whether the result was ours. An
     * interrupted request (no results) reports what the OS says now.
     */
    fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray): Boolean {
        if (requestCode != this.requestCode) return false
        val (permission, onResult) = pending ?: return true
        pending = null
        val index = permissions.indexOf(permission)
        if (index < 0 || index >= grantResults.size) {
            onResult(stateOf(permission))
            return true
        }
        asked.edit().putBoolean(permission, true).apply()
        onResult(if (grantResults[index] == PackageManager.PERMISSION_GRANTED) OsPermission.GRANTED else stateOf(permission))
        return true
    }

    private fun stateOf(permission: String): OsPermission =
        Feature.entries.first { manifestPermission(it) == permission }.let(::current)

    companion object {
        const val REQUEST_CODE = 0xC05E

        /** The runtime permission behind a feature; the others need none on Android. */
        fun manifestPermission(feature: Feature): String? = when (feature) {
            Feature.CAMERA -> Manifest.permission.CAMERA
            Feature.MICROPHONE -> Manifest.permission.RECORD_AUDIO
            else -> null
        }
    }
}
