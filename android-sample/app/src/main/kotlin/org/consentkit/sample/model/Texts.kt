// The app's words for features and purposes: what the prompt and the "why" lines say.
package org.consentkit.sample.model

import org.consentkit.Feature

object Texts {
    fun title(feature: Feature): String = when (feature) {
        Feature.CAMERA -> "Camera"
        Feature.MICROPHONE -> "Microphone"
        Feature.PHOTO_LIBRARY -> "Photo library"
        Feature.CLIPBOARD -> "Clipboard"
        Feature.MOTION_SENSORS -> "Motion sensors"
        Feature.AD_PERSONALIZATION -> "Enable Ads Personalization"
    }

    private val purposes = mapOf(
        "shoot_photo" to "Take a photo when you tap the shutter",
        "record_video" to "Record video when you tap record",
        "voice_note" to "Record a voice note when you hold the mic button",
        "save_media" to "Save your photos and videos",
        "import_media" to "Import photos you pick",
        "login" to "Paste a login code you copied",
        "share_code" to "Paste a share code you copied",
        "channel_stats" to "Read a channel code to count where installs come from",
        "orientation" to "Detect landscape or portrait while you are shooting",
        "personalized_ads" to "Show ads based on your interests",
    )

    /** The "why we need this" line for a purpose. */
    fun why(purpose: String): String = purposes[purpose] ?: purpose.replace('_', ' ')
}
