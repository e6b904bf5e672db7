// The app's foreground, for set_foreground: the process is in the foreground while at least one
// of its activities is started, so switching activities or rotating is not "background".
// Framework callbacks only (Application.ActivityLifecycleCallbacks); tested under Robolectric.
package org.consentkit.android

import android.app.Activity
import android.app.Application
import android.os.Bundle

/**
 * Tells [onChange] when the app comes to the foreground (its first activity starts) and goes to
 * the background (its last one stops, unless for a configuration change such as a rotation).
 * Pass `store::setForeground`: a store is in the background until told otherwise.
 */
class ForegroundTracker(private val onChange: (foreground: Boolean) -> Unit) : Application.ActivityLifecycleCallbacks {
    private var started = 0
    private var foreground = false

    override fun onActivityStarted(activity: Activity) {
        started++
        if (!foreground) {
            foreground = true
            onChange(true)
        }
    }

    override fun onActivityStopped(activity: Activity) {
        started = (started - 1).coerceAtLeast(0)
        // A rotation stops and restarts the activity at once: not a trip to the background.
        if (started == 0 && foreground && !activity.isChangingConfigurations) {
            foreground = false
            onChange(false)
        }
    }

    override fun onActivityCreated(activity: Activity, savedInstanceState: Bundle?) {}
    override fun onActivityResumed(activity: Activity) {}
    override fun onActivityPaused(activity: Activity) {}
    override fun onActivitySaveInstanceState(activity: Activity, outState: Bundle) {}
    override fun onActivityDestroyed(activity: Activity) {}

    companion object {
        /** Tracks [application]'s activities from now on; returns the tracker to unregister later. */
        fun install(application: Application, onChange: (foreground: Boolean) -> Unit): ForegroundTracker =
            ForegroundTracker(onChange).also(application::registerActivityLifecycleCallbacks)
    }
}
