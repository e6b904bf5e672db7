// The app's store as Android apps open it: in the no-backup files (never in Auto Backup or a
// device transfer, gone with the app), sealed by a key in the Android Keystore unless the app
// explicitly chooses otherwise. Restoring an old copy, editing or cutting the log is then damage
// (README, "What the log proves"); without the Keystore the open fails closed, never unsealed.
package org.consentkit.android

import android.content.Context
import org.consentkit.ConsentConfig
import org.consentkit.ConsentStore
import org.consentkit.Sealer
import java.io.File

/** How the app's store is protected from edits, cuts and restored old copies. */
enum class Sealing {
    /** Sealed by an HMAC key generated in the Android Keystore, never exported: the default. */
    KEYSTORE,

    /**
     * Not sealed: anyone with the files can rewrite history unnoticed (damage is still caught).
     * Only as an explicit choice — for example after [ConsentKit.open] failed on a device whose
     * Keystore does not work, if the app's own policy allows it. A store once sealed is never
     * opened unsealed for writing: it needs its key.
     */
    NONE,
}

/** Opening the app's consent store. */
object ConsentKit {
    /** The store's directory under [Context.getNoBackupFilesDir]. */
    const val STORE_DIR = "consentkit"

    /** The seal's anchor, beside the store's directory (outside it) in the no-backup files. */
    const val ANCHOR_FILE = "consentkit.anchor"

    /** The Keystore alias of the sealing key. */
    const val KEY_ALIAS = "consentkit-log"

    /**
     * Opens the app's store in its no-backup files, sealed with the Keystore by default.
     * Throws `StorageException` (its reason names the Keystore) when the Keystore cannot seal:
     * nothing is written then, and the app decides whether to open with [Sealing.NONE].
     */
    fun open(context: Context, config: ConsentConfig, sealing: Sealing = Sealing.KEYSTORE): ConsentStore {
        val files = context.noBackupFilesDir
        val sealer = when (sealing) {
            Sealing.KEYSTORE -> KeystoreSealer(KEY_ALIAS, File(files, ANCHOR_FILE))
            Sealing.NONE -> null
        }
        return open(files, config, sealer)
    }

    /** [open] in [files] with [sealer] (`null`: unsealed) — the seam the tests use. */
    internal fun open(files: File, config: ConsentConfig, sealer: Sealer?): ConsentStore {
        val dir = File(files, STORE_DIR)
        return when (sealer) {
            null -> ConsentStore.open(dir.path, config)
            else -> ConsentStore.openSealed(dir.path, config, sealer)
        }
    }

    /** The sealer [open] uses by default, over [key] instead of the Keystore's (tests). */
    internal fun keystoreSealer(files: File, key: () -> javax.crypto.SecretKey): Sealer =
        KeystoreSealer(File(files, ANCHOR_FILE), key)
}
