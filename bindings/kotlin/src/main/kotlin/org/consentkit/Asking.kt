// Asking that fits the person: purposes asked for on their own, prompt advice, age ranges.
package org.consentkit

/** True when the app should show its prompt now (to the person, or to their guardian). */
val PromptAdvice.shouldPrompt: Boolean
    get() = this is PromptAdviceAsk || this is PromptAdviceAskGuardian

/**
 * The prompt advice that fits a refused use: the policy dialog's in basic mode, otherwise the
 * refused feature's — `NoNeed` when the refusal is not about asking at all (a malformed purpose).
 */
fun ConsentStore.adviceFor(refused: ConsentException): PromptAdvice = when {
    refused.needsPolicyAgreement() -> policyPromptAdvice()
    else -> refused.feature()?.let { promptAdvice(it) } ?: PromptAdviceNoNeed
}

/** Grants [feature] for these [purposes] only (added to what a standing grant covers). */
fun ConsentStore.grantPurposes(
    feature: Feature,
    vararg purposes: String,
    scope: GrantScope = GrantScope.UNTIL_REVOKED,
    actor: Actor = Actor.USER,
) = grantPurposes(feature, purposes.toList(), scope, actor)

/** An age range in whole years (`upper = null` for "[lower] or older"), never a birth date. */
fun ageRange(lower: Int, upper: Int?, source: AgeSource): AgeSignal {
    require(lower >= 0 && (upper == null || upper >= lower)) { "an age range runs from its lower bound up" }
    return AgeSignal(lower.toUInt(), upper?.toUInt(), source)
}
