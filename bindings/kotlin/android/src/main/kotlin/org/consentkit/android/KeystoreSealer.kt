// The Android sealer: an HMAC-SHA256 key generated inside the Android Keystore (hardware-backed
// where the device has it), never exported; the anchor in the app's no-backup files, outside
// the store's directory, written to a temporary file, synced, then moved over the old one
// (android.util.AtomicFile would do it, but it logs a failed rename instead of failing). Keystore keys
// cannot evolve, so the core derives a key per epoch from this one and forgets it when the epoch
// ends (README, "What the log proves"). Any failure — no Keystore, a key it will not use, an
// anchor it cannot read or write — is a SealerFailedException: the core fails closed on it.
package org.consentkit.android

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.io.File
import java.io.FileOutputStream
import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.StandardCopyOption
import java.nio.file.StandardOpenOption
import java.security.KeyStore
import javax.crypto.KeyGenerator
import javax.crypto.Mac
import javax.crypto.SecretKey
import org.consentkit.Sealer
import org.consentkit.SealerFailedException

class KeystoreSealer internal constructor(
    private val anchorFile: File,
    private val keySource: () -> SecretKey,
) : Sealer {
    /** The sealer over the Keystore key [alias] (created on first use), its anchor in [anchorFile]. */
    constructor(alias: String, anchorFile: File) : this(anchorFile, { keystoreKey(alias) })

    // Opened on first use, not at construction: a device without a usable Keystore fails the
    // store's open (closed), never the app's start.
    private val key: SecretKey by lazy(LazyThreadSafetyMode.SYNCHRONIZED) { keySource() }

    override fun mac(message: ByteArray): ByteArray = failingClosed("Android Keystore") {
        Mac.getInstance("HmacSHA256").run {
            init(key)
            doFinal(message)
        }
    }

    override fun loadAnchor(): ByteArray? = failingClosed("anchor ${anchorFile.path}") {
        if (anchorFile.exists()) anchorFile.readBytes() else null // there but unreadable: an error
    }

    override fun storeAnchor(anchor: ByteArray) = failingClosed("anchor ${anchorFile.path}") {
        val tmp = File(anchorFile.path + ".tmp")
        try {
            FileOutputStream(tmp).use { out ->
                out.write(anchor)
                out.fd.sync()
            }
            Files.move(tmp.toPath(), anchorFile.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
        } catch (e: Exception) {
            tmp.delete()
            throw e
        }
        // The rename itself, made durable where the platform lets a directory be synced.
        runCatching { FileChannel.open(anchorFile.absoluteFile.parentFile.toPath(), StandardOpenOption.READ).use { it.force(true) } }
        Unit
    }

    private inline fun <T> failingClosed(what: String, block: () -> T): T =
        try {
            block()
        } catch (e: SealerFailedException) {
            throw e
        } catch (e: Exception) {
            throw SealerFailedException("$what: ${e.javaClass.simpleName}: ${e.message}")
        }

    private companion object {
        const val PROVIDER = "AndroidKeyStore"

        fun keystoreKey(alias: String): SecretKey {
            val keyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }
            (keyStore.getKey(alias, null) as? SecretKey)?.let { return it }
            val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN).build()
            return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_HMAC_SHA256, PROVIDER).run {
                init(spec)
                generateKey()
            }
        }
    }
}
