// The Android sealer: an HMAC-SHA256 key generated inside the Android Keystore (hardware-backed
// where the device has it), never exported; the anchor in the app's no-backup files, outside
// the store's directory. Keystore keys cannot evolve, so the core derives a key per epoch from
// this one and forgets it when the epoch ends (README, "What the log proves").
package org.consentkit.android

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.io.File
import java.security.KeyStore
import javax.crypto.KeyGenerator
import javax.crypto.Mac
import javax.crypto.SecretKey
import org.consentkit.Sealer
import org.consentkit.SealerFailedException

class KeystoreSealer(
    private val alias: String,
    private val anchorFile: File,
) : Sealer {
    private val keyStore: KeyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    private fun key(): SecretKey =
        (keyStore.getKey(alias, null) as? SecretKey) ?: generate()

    private fun generate(): SecretKey {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN).build()
        return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_HMAC_SHA256, PROVIDER).run {
            init(spec)
            generateKey()
        }
    }

    override fun mac(message: ByteArray): ByteArray =
        try {
            Mac.getInstance("HmacSHA256").run {
                init(key())
                doFinal(message)
            }
        } catch (e: Exception) {
            throw SealerFailedException("Android Keystore: ${e.message}")
        }

    override fun loadAnchor(): ByteArray? = if (anchorFile.exists()) anchorFile.readBytes() else null

    override fun storeAnchor(anchor: ByteArray) {
        val tmp = File(anchorFile.path + ".tmp")
        tmp.writeBytes(anchor)
        if (!tmp.renameTo(anchorFile)) throw SealerFailedException("could not replace ${anchorFile.path}")
    }

    private companion object {
        const val PROVIDER = "AndroidKeyStore"
    }
}
