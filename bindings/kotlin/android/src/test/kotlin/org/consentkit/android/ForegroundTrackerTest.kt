package org.consentkit.android

import android.app.Activity
import org.junit.Assert.assertEquals
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.annotation.Config

/** The foreground as the activity lifecycle tells it, on the Android 15 framework (Robolectric). */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35])
class ForegroundTrackerTest {
    @Test
    fun `the first activity started is the foreground, a rotation is not the background, the last stopped is`() {
        val app = RuntimeEnvironment.getApplication()
        val heard = mutableListOf<Boolean>()
        val tracker = ForegroundTracker.install(app) { heard += it }
        val first = Robolectric.buildActivity(Activity::class.java).setup()
        assertEquals(listOf(true), heard)
        // A second activity over the first, then back to the first: the next one starts before
        // the last one stops, so the app never leaves the foreground.
        first.pause()
        val second = Robolectric.buildActivity(Activity::class.java).setup()
        first.stop()
        second.pause()
        first.restart().resume()
        second.stop().destroy()
        assertEquals("switching activities is not leaving the app", listOf(true), heard)
        heard.clear()
        first.recreate() // a configuration change: stopped and started again at once
        assertEquals("a rotation is not a trip to the background", emptyList<Boolean>(), heard)
        first.pause().stop()
        assertEquals(listOf(false), heard)
        app.unregisterActivityLifecycleCallbacks(tracker)
    }
}
