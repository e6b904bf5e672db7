//! Prompt advice: whether the app should show its consent prompt now, wait, send the person to Settings, or has nothing to ask.

use serde::Serialize;

/// Default quiet time after a person declines: 48 hours, following Chinese app-store review
/// guidance against asking again and again after a refusal.
pub const DEFAULT_REPROMPT_AFTER_MS: u64 = 48 * 60 * 60 * 1000;

/// What to do about asking, for a feature (`prompt_advice`) or the privacy policy
/// (`policy_prompt_advice`). `begin_use` refuses as before; this tells the app whether to
/// show its prompt at that moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case", tag = "advice")]
pub enum PromptAdvice {
    /// Show the prompt now, at this moment of use.
    Ask,
    /// The person is a minor: only a guardian can agree or grant, so ask the guardian.
    AskGuardian,
    /// Do not ask before `until_ms`: the person said no recently (or the store was recovered
    /// from damage and cannot know what they said). Offer Settings › Privacy instead.
    NotNow {
        /// When asking becomes fine again (Unix ms).
        until_ms: i64,
    },
    /// The operating system will not show its dialog again: send the person to the system
    /// Settings app.
    OpenSettings,
    /// Nothing to ask: consent is already there (or the app asks for none).
    NoNeed,
    /// Basic mode: the privacy policy must be agreed to before any feature is asked for.
    AgreeToPolicyFirst,
}

impl PromptAdvice {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            PromptAdvice::Ask => "ask",
            PromptAdvice::AskGuardian => "ask_guardian",
            PromptAdvice::NotNow { .. } => "not_now",
            PromptAdvice::OpenSettings => "open_settings",
            PromptAdvice::NoNeed => "no_need",
            PromptAdvice::AgreeToPolicyFirst => "agree_to_policy_first",
        }
    }
}
