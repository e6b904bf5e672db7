// The clipboard read only inside a clipboard use session for a purpose the person granted: the
// system clipboard is never touched when the store refuses the use. Tested under Robolectric.
package org.consentkit.android

import android.content.ClipboardManager
import android.content.Context
import org.consentkit.ConsentStore
import org.consentkit.Feature
import org.consentkit.UseSession
import org.consentkit.isActive
import org.consentkit.withUse

/**
 * Gated access to the clipboard: [readText] opens a clipboard use session for its purpose,
 * reads the first item as text, and ends the session; the store's refusal (consent required,
 * denied, in the background, an undeclared purpose, …) is thrown as its `ConsentException`
 * before the clipboard is read. [readTextIn] reads inside a session the app already holds.
 */
class GatedClipboard(private val context: Context, private val store: ConsentStore) {
    /** The clipboard's text (`null` when empty), read in its own session for [purpose]. */
    fun readText(purpose: String): String? = store.withUse(Feature.CLIPBOARD, purpose) { read() }

    /**
     * The clipboard's text, read inside [session], which must be an active clipboard session;
     * anything else is refused with [IllegalStateException] and the clipboard is not read.
     */
    fun readTextIn(session: UseSession): String? {
        check(session.feature() == Feature.CLIPBOARD && session.isActive()) {
            "the clipboard is read only inside an active clipboard use session"
        }
        return read()
    }

    private fun read(): String? {
        val clipboard = context.getSystemService(ClipboardManager::class.java) ?: return null
        val clip = clipboard.primaryClip ?: return null
        if (clip.itemCount == 0) return null
        return clip.getItemAt(0).coerceToText(context)?.toString()
    }
}
