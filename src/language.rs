//! The languages the built-in texts come in (English and Simplified Chinese), and those texts: feature names and the "why" of each built-in purpose.

use serde::{Deserialize, Serialize};

use crate::model::Feature;

/// A language the library's own texts (the HTML report's, the built-in names and "why"s) come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English (`en`).
    English,
    /// Simplified Chinese (`zh-Hans`).
    SimplifiedChinese,
}

impl Language {
    /// The language for a BCP 47 tag or a locale (`en-GB`, `zh`, `zh-Hans-CN`, `zh_CN`):
    /// Chinese written in simplified characters, or English. Traditional Chinese (`zh-Hant`,
    /// `zh-TW`, `zh-HK`, `zh-MO`) and every other language get `None`: the caller picks.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let tag = tag.to_ascii_lowercase().replace('_', "-");
        let mut parts = tag.split('-');
        match parts.next()? {
            "en" => Some(Language::English),
            "zh" => {
                let rest: Vec<&str> = parts.collect();
                let traditional = rest
                    .iter()
                    .any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"))
                    && !rest.contains(&"hans");
                (!traditional).then_some(Language::SimplifiedChinese)
            }
            _ => None,
        }
    }

    /// The BCP 47 tag (`en`, `zh-Hans`).
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::SimplifiedChinese => "zh-Hans",
        }
    }
}

/// The language for a tag, for Kotlin and Swift (`Locale.toLanguageTag()`, `Locale.identifier`);
/// English for every language there are no built-in texts in.
#[uniffi::export]
pub fn language_for_tag(tag: String) -> Language {
    Language::from_tag(&tag).unwrap_or(Language::English)
}

/// A feature's built-in name.
pub fn default_feature_name(feature: Feature, language: Language) -> &'static str {
    use Language::*;
    match (feature, language) {
        (Feature::Camera, English) => "Camera",
        (Feature::Camera, SimplifiedChinese) => "相机",
        (Feature::Microphone, English) => "Microphone",
        (Feature::Microphone, SimplifiedChinese) => "麦克风",
        (Feature::PhotoLibrary, English) => "Photo library",
        (Feature::PhotoLibrary, SimplifiedChinese) => "相册",
        (Feature::Clipboard, English) => "Clipboard",
        (Feature::Clipboard, SimplifiedChinese) => "剪贴板",
        (Feature::MotionSensors, English) => "Motion sensors",
        (Feature::MotionSensors, SimplifiedChinese) => "运动传感器",
        (Feature::AdPersonalization, English) => "Ad personalisation",
        (Feature::AdPersonalization, SimplifiedChinese) => "个性化广告",
    }
}

/// The built-in "why" of a built-in purpose of `feature` (`None` for a purpose of the app's own).
pub fn default_purpose_text(
    feature: Feature,
    purpose: &str,
    language: Language,
) -> Option<&'static str> {
    use Language::*;
    Some(match (feature, purpose, language) {
        (Feature::Camera, "shoot_photo", English) => "Take a photo when you tap the shutter",
        (Feature::Camera, "shoot_photo", SimplifiedChinese) => "在你按下快门时拍照",
        (Feature::Camera, "record_video", English) => "Record video when you tap record",
        (Feature::Camera, "record_video", SimplifiedChinese) => "在你按下录制键时录像",
        (Feature::Microphone, "record_video", English) => "Record sound with your videos",
        (Feature::Microphone, "record_video", SimplifiedChinese) => "为你录制的视频录音",
        (Feature::Microphone, "voice_note", English) => {
            "Record a voice note when you hold the mic button"
        }
        (Feature::Microphone, "voice_note", SimplifiedChinese) => {
            "在你按住麦克风按钮时录制语音备注"
        }
        (Feature::PhotoLibrary, "save_media", English) => "Save your photos and videos",
        (Feature::PhotoLibrary, "save_media", SimplifiedChinese) => "保存你拍摄的照片和视频",
        (Feature::PhotoLibrary, "import_media", English) => "Import photos you pick",
        (Feature::PhotoLibrary, "import_media", SimplifiedChinese) => "导入你选择的照片",
        (Feature::Clipboard, "login", English) => "Paste a login code you copied",
        (Feature::Clipboard, "login", SimplifiedChinese) => "粘贴你复制的登录码",
        (Feature::Clipboard, "share_code", English) => "Paste a share code you copied",
        (Feature::Clipboard, "share_code", SimplifiedChinese) => "粘贴你复制的分享码",
        (Feature::Clipboard, "channel_stats", English) => {
            "Read a channel code to count where installs come from"
        }
        (Feature::Clipboard, "channel_stats", SimplifiedChinese) => "读取渠道码，统计安装来源",
        (Feature::MotionSensors, "orientation", English) => {
            "Detect landscape or portrait while you are shooting"
        }
        (Feature::MotionSensors, "orientation", SimplifiedChinese) => "拍摄时识别横屏或竖屏",
        (Feature::AdPersonalization, "personalized_ads", English) => {
            "Show ads based on your interests"
        }
        (Feature::AdPersonalization, "personalized_ads", SimplifiedChinese) => {
            "根据你的兴趣展示广告"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_locales_pick_simplified_chinese_or_english() {
        for zh in [
            "zh",
            "zh-Hans",
            "zh-Hans-CN",
            "zh_CN",
            "ZH-cn",
            "zh-SG",
            "zh-Hans-HK",
        ] {
            assert_eq!(
                Language::from_tag(zh),
                Some(Language::SimplifiedChinese),
                "{zh}"
            );
        }
        for en in ["en", "en-GB", "en_US"] {
            assert_eq!(Language::from_tag(en), Some(Language::English), "{en}");
        }
        for other in ["zh-Hant", "zh-TW", "zh-HK", "de", "", "-"] {
            assert_eq!(Language::from_tag(other), None, "{other}");
        }
        assert_eq!(language_for_tag("fr-FR".into()), Language::English);
    }

    #[test]
    fn every_built_in_purpose_has_a_why_in_both_languages() {
        for feature in Feature::ALL {
            for purpose in feature.default_purposes() {
                for language in [Language::English, Language::SimplifiedChinese] {
                    assert!(
                        default_purpose_text(feature, purpose, language).is_some(),
                        "{} {purpose} {language:?}",
                        feature.as_str()
                    );
                }
            }
        }
        assert_eq!(
            default_purpose_text(Feature::Camera, "scan_code", Language::English),
            None
        );
    }
}
