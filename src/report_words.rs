//! The privacy report page's own words in English and Simplified Chinese: headings, labels, statuses, notices, durations.

use crate::language::Language;
use crate::model::ConsentStatus;
use crate::policy::{PolicyState, PolicyStatus};

/// The page's own words, in one language.
pub(crate) struct Words {
    pub title: &'static str,
    pub policy_none: &'static str,
    /// `{}`: revision, then status.
    pub policy_revision: &'static str,
    pub basic_mode: &'static str,
    pub features: &'static str,
    pub uses: &'static str,
    pub time_in_use: &'static str,
    pub refused: &'static str,
    pub asked: &'static str,
    pub last_use: &'static str,
    pub never: &'static str,
    pub timeline: &'static str,
    /// The timeline's scrolling box (a landmark of its own: named apart from its section).
    pub timeline_box: &'static str,
    pub timeline_note: &'static str,
    pub every_use: &'static str,
    pub no_uses: &'static str,
    pub in_use: &'static str,
    pub footer: &'static str,
    pub seconds: &'static str,
    pub minutes: &'static str,
    pub hours: &'static str,
    pub colon: &'static str,
    pub stop: &'static str,
    pub not_counting_guardian: &'static str,
    pub not_counting_policy: &'static str,
    pub not_counting_minor: &'static str,
    pub os_off: &'static str,
    pub damaged_off: &'static str,
    /// `{}`: the first bad record, then the problem.
    pub damaged: &'static str,
    pub recovered: &'static str,
    pub unchecked_words: &'static str,
}

const ENGLISH: Words = Words {
    title: "Privacy report",
    policy_none: "No agreement to the policy as a whole is asked: consent is per feature.",
    policy_revision: "Privacy policy revision",
    basic_mode: "basic mode",
    features: "What each feature did",
    uses: "Uses",
    time_in_use: "Time in use",
    refused: "Refused",
    asked: "Consent asked for",
    last_use: "Last use",
    never: "never",
    timeline: "Timeline of uses",
    timeline_box: "Timeline, scrolls sideways",
    timeline_note: "Each bar is one use, from the moment the feature was opened to the moment it was closed. Swipe the timeline sideways on a small screen.",
    every_use: "Every use",
    no_uses: "No uses in this period.",
    in_use: "still in use",
    footer: "Made on this device from its own tamper-evident record; nothing here was sent anywhere.",
    seconds: "s",
    minutes: "min",
    hours: "h",
    colon: ": ",
    stop: ".",
    not_counting_guardian: "given by the person, not in force: a guardian must decide",
    not_counting_policy: "not in force: the privacy policy is not agreed to",
    not_counting_minor: "not in force: ads are never personalised for a minor",
    os_off: "allowed, but switched off in the system settings",
    damaged_off: "off: the record is damaged",
    damaged: "This record is damaged at entry {seq} ({problem}). Everything in it is off; this report shows what the entries before the damage say.",
    recovered: "The record was found damaged earlier and restarted; the history before that was kept aside and is not in this report.",
    unchecked_words: "The app's names and reasons on this page could not be checked against the app itself; what was allowed, refused and used comes from the tamper-evident record.",
};

const CHINESE: Words = Words {
    title: "隐私报告",
    policy_none: "本应用不要求整体同意隐私政策：按功能逐项征得同意。",
    policy_revision: "隐私政策版本",
    basic_mode: "基本模式",
    features: "各功能的使用情况",
    uses: "使用次数",
    time_in_use: "使用时长",
    refused: "被拒绝",
    asked: "请求同意",
    last_use: "最近使用",
    never: "从未",
    timeline: "使用时间线",
    timeline_box: "时间线（可横向滚动）",
    timeline_note: "每一条代表一次使用，从功能打开到关闭。在小屏幕上可左右滑动时间线。",
    every_use: "每一次使用",
    no_uses: "此期间没有使用。",
    in_use: "仍在使用",
    footer: "本报告由本设备根据其防篡改记录生成，未发送到任何地方。",
    seconds: "秒",
    minutes: "分",
    hours: "小时",
    colon: "：",
    stop: "。",
    not_counting_guardian: "本人已允许，但未生效：需由监护人决定",
    not_counting_policy: "未生效：尚未同意隐私政策",
    not_counting_minor: "未生效：不向未成年人展示个性化广告",
    os_off: "已允许，但在系统设置中已关闭",
    damaged_off: "已关闭：记录已损坏",
    damaged:
        "此记录在第 {seq} 条处已损坏（{problem}）。其中所有功能均已关闭；本报告显示损坏之前的记录。",
    recovered: "此前发现记录损坏并已重新开始；之前的历史已另行保存，不在本报告中。",
    unchecked_words:
        "本页中应用的名称和用途说明无法与应用本身核对；允许、拒绝和使用情况来自防篡改记录。",
};

pub(crate) fn words(language: Language) -> &'static Words {
    match language {
        Language::English => &ENGLISH,
        Language::SimplifiedChinese => &CHINESE,
    }
}

pub(crate) fn status_text(status: ConsentStatus, language: Language) -> &'static str {
    use ConsentStatus::*;
    match (status, language) {
        (Granted, Language::English) => "allowed",
        (Denied, Language::English) => "not allowed",
        (NotAsked, Language::English) => "not asked",
        (NeedsReconsent, Language::English) => "to ask again",
        (Granted, Language::SimplifiedChinese) => "已允许",
        (Denied, Language::SimplifiedChinese) => "未允许",
        (NotAsked, Language::SimplifiedChinese) => "未询问",
        (NeedsReconsent, Language::SimplifiedChinese) => "需重新询问",
    }
}

/// A duration as a person reads it: `2.5 s`, `3 min 5 s`, `1 h 20 min`.
pub(crate) fn duration(ms: u64, w: &Words) -> String {
    let s = ms / 1000;
    if s < 60 {
        format!("{:.1} {}", ms as f64 / 1000.0, w.seconds)
    } else if s < 3600 {
        format!("{} {} {} {}", s / 60, w.minutes, s % 60, w.seconds)
    } else {
        format!("{} {} {} {}", s / 3600, w.hours, (s % 3600) / 60, w.minutes)
    }
}

pub(crate) fn policy_status(policy: &PolicyState, language: Language) -> String {
    let zh = language == Language::SimplifiedChinese;
    match (policy.status, zh) {
        (PolicyStatus::Agreed, false) => "agreed",
        (PolicyStatus::Agreed, true) => "已同意",
        (PolicyStatus::Declined, false) => "declined",
        (PolicyStatus::Declined, true) => "已拒绝",
        (PolicyStatus::NeedsReconsent, false) => "to agree again",
        (PolicyStatus::NeedsReconsent, true) => "需重新同意",
        (_, false) => "not agreed yet",
        (_, true) => "尚未同意",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_both_languages() {
        assert_eq!(duration(2_500, &ENGLISH), "2.5 s");
        assert_eq!(duration(185_000, &ENGLISH), "3 min 5 s");
        assert_eq!(duration(4_800_000, &CHINESE), "1 小时 20 分");
    }
}
