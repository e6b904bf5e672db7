// Sealing from Kotlin: the Sealer interface the core calls at checkpoints and on close, and an
// HMAC-SHA256 sealer over javax.crypto with its key in memory (tests, the JVM, tools). On
// Android, use org.consentkit.android.KeystoreSealer, whose key never leaves the Keystore.
package org.consentkit

import java.io.File
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec

typealias Sealer = org.consentkit.internal.Sealer
typealias SealerException = org.consentkit.internal.SealerException
typealias SealerFailedException = org.consentkit.internal.SealerException.Failed
typealias HeadCheck = org.consentkit.internal.HeadCheck

/**
 * A sealer whose HMAC-SHA256 key is held in memory, computing with `javax.crypto.Mac`; its
 * anchor is kept in [anchorFile] (which must live outside the store's directory), or in
 * memory when null. A key in memory can be read by whoever reads the process: on Android,
 * prefer `KeystoreSealer`.
 */
class HmacSealer(key: ByteArray, private val anchorFile: File? = null) : Sealer {
    private val key = SecretKeySpec(key.copyOf(), "HmacSHA256")

    @Volatile
    private var anchor: ByteArray? = null

    init {
        require(key.size >= 16) { "a sealing key has at least 16 bytes" }
    }

    override fun mac(message: ByteArray): ByteArray =
        Mac.getInstance("HmacSHA256").run {
            init(key)
            doFinal(message)
        }

    override fun loadAnchor(): ByteArray? = when (val file = anchorFile) {
        null -> anchor
        else -> if (file.exists()) file.readBytes() else null
    }

    override fun storeAnchor(anchor: ByteArray) {
        val file = anchorFile ?: run {
            this.anchor = anchor.copyOf()
            return
        }
        val tmp = File(file.path + ".tmp")
        tmp.writeBytes(anchor)
        if (!tmp.renameTo(file)) throw SealerFailedException("could not replace ${file.path}")
    }
}

/**
 * Opens the durable store in [dir] with its log sealed by [sealer]: a seal at every checkpoint
 * and on close, checked on open, so edits, cuts and restored old copies are kept aside as
 * damage with everything off.
 */
fun openSealedConsentStore(dir: File, config: ConsentConfig, sealer: Sealer): ConsentStore =
    ConsentStore.openSealed(dir.path, config, sealer)
