// The app's words for features and purposes: what the prompt and the "why" lines say.
import ConsentKit

public enum Texts {
    public static func title(_ feature: Feature) -> String {
        switch feature {
        case .camera: return "Camera"
        case .microphone: return "Microphone"
        case .photoLibrary: return "Photo library"
        case .clipboard: return "Clipboard"
        case .motionSensors: return "Motion sensors"
        case .adPersonalization: return "Enable Ads Personalization"
        }
    }

    private static let purposes = [
        "shoot_photo": "Take a photo when you tap the shutter",
        "record_video": "Record video when you tap record",
        "voice_note": "Record a voice note when you hold the mic button",
        "save_media": "Save your photos and videos",
        "import_media": "Import photos you pick",
        "login": "Paste a login code you copied",
        "share_code": "Paste a share code you copied",
        "channel_stats": "Read a channel code to count where installs come from",
        "orientation": "Detect landscape or portrait while you are shooting",
        "personalized_ads": "Show ads based on your interests",
    ]

    /// The "why we need this" line for a purpose.
    public static func why(_ purpose: String) -> String {
        purposes[purpose] ?? purpose.replacingOccurrences(of: "_", with: " ")
    }
}
