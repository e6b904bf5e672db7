package org.consentkit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.util.concurrent.atomic.AtomicInteger

private fun sdk(id: String, vararg requires: Feature, notForMinors: Boolean = false) = SdkPolicy(
    id = id,
    name = "$id SDK",
    vendor = "Example Ltd.",
    purpose = "Testing",
    dataCollected = listOf("Device model"),
    requires = requires.toList(),
    privacyPolicyUrl = "https://$id.example.com/privacy",
    notForMinors = notForMinors,
)

/** A Chinese camera app: a policy to agree to, an ad SDK not for minors, an AR SDK needing the camera. */
private fun chineseApp() = ConsentConfig(
    appId = "com.example.cn",
    policyRevision = 1u,
    sdks = listOf(sdk("ads", notForMinors = true), sdk("ar_filters", Feature.CAMERA)),
    jurisdiction = "CN",
)

class PolicyTest {
    @TempDir
    lateinit var dir: File

    private fun open() = openConsentStore(dir, chineseApp()).onScreen()

    @Test
    fun `basic mode refuses every grant and use with a typed error until the policy is agreed`(): Unit =
        open().use { store ->
            val policy = store.policyState()
            assertEquals(PolicyStatus.NOT_ASKED, policy.status)
            assertTrue(policy.basicMode)
            val grant = assertThrows<PolicyNotAgreedException> {
                store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            }
            assertTrue(grant.needsPolicyAgreement() && grant.isRefusal() && !grant.shouldAsk())
            assertThrows<PolicyNotAgreedException> { store.beginUse(Feature.CAMERA, "shoot_photo") }
            val started = assertThrows<SdkBlockedException> { store.sdkStarted("ads") }
            assertEquals(SdkBlockPolicyNotAgreed, started.reason)
            assertThrows<NotPermittedException> { store.agreeToPolicy(Actor.APP) }

            store.declinePolicy(Actor.USER)
            assertEquals(PolicyStatus.DECLINED, store.policyState().status)
            store.agreeToPolicy(Actor.USER)
            assertEquals(PolicyStatus.AGREED, store.policyState().status)
            assertEquals(ConsentStatus.NOT_ASKED, store.state(Feature.CAMERA).status, "agreeing turns nothing on")
            assertThrows<ConsentRequiredException> { store.beginUse(Feature.CAMERA, "shoot_photo") }
        }

    @Test
    fun `whenSdkMayStart runs the start once, after agreement and the camera grant, and records it`(): Unit =
        open().use { store ->
            val arStarts = AtomicInteger()
            val adsStarts = AtomicInteger()
            store.whenSdkMayStart("ar_filters") { arStarts.incrementAndGet() }
            store.whenSdkMayStart("ads") { adsStarts.incrementAndGet() }
            assertEquals(0, arStarts.get() + adsStarts.get(), "nothing starts before agreement")
            store.agreeToPolicy(Actor.USER)
            assertEquals(1, adsStarts.get(), "started as soon as the policy was agreed to")
            assertEquals(0, arStarts.get(), "the AR SDK waits for the camera")
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            assertEquals(1, arStarts.get())
            store.revoke(Feature.CAMERA, Actor.USER)
            store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
            assertEquals(1, arStarts.get(), "once")
            val starts = store.auditLog(AuditFilter()).filter { it.kind == AuditKind.SDK_STARTED }
            assertEquals(listOf("ar_filters", "ads"), starts.map { it.sdk })
            // An SDK that may start already starts at once, on the caller's thread.
            val again = AtomicInteger()
            store.whenSdkMayStart("ads") { again.incrementAndGet() }
            assertEquals(1, again.get())
        }

    @Test
    fun `a closed waiter never starts its SDK`(): Unit = open().use { store ->
        val starts = AtomicInteger()
        store.whenSdkMayStart("ads") { starts.incrementAndGet() }.close()
        store.agreeToPolicy(Actor.USER)
        assertEquals(0, starts.get())
        assertNull(store.sdkStatus("ads").firstStartedMs, "and nothing was recorded")
    }

    @Test
    fun `state flows follow the policy, each SDK and the ad signals`(): Unit = open().use { store ->
        ConsentStates(store).use { live ->
            assertTrue(live.policy.value.basicMode)
            assertEquals(SdkBlockPolicyNotAgreed, live.sdks.value.getValue("ads").blockedBy)
            store.agreeToPolicy(Actor.GUARDIAN) // the person turns out a minor below
            assertEquals(PolicyStatus.AGREED, live.policy.value.status)
            assertEquals(SdkBlockFeatureNotGranted(Feature.CAMERA), live.sdks.value.getValue("ar_filters").blockedBy)
            assertTrue(live.sdks.value.getValue("ads").mayStart)
            store.grant(Feature.AD_PERSONALIZATION, GrantScope.UNTIL_REVOKED, Actor.USER)
            assertTrue(live.adSignals.value.personalizedAds)
            assertEquals(ConsentSignal.GRANTED, live.adSignals.value.adPersonalization)
            // Google Play's Age Signals answer 13–15: a minor in China (14).
            store.setAgeSignal(AgeSignal(lower = 13u, upper = 15u, source = AgeSource.OS_AGE_RANGE))
            assertFalse(live.adSignals.value.personalizedAds, "never personalised for a minor")
            assertEquals(SdkBlockMinor, live.sdks.value.getValue("ads").blockedBy)
            assertEquals(store.adSignals(), live.adSignals.value)
        }
    }

    @Test
    fun `the catalogue lists each SDK with its texts, status and first start`(): Unit = open().use { store ->
        store.agreeToPolicy(Actor.USER)
        store.sdkStarted("ads")
        val catalog = store.sdkCatalog()
        assertEquals(listOf("ads", "ar_filters"), catalog.map { it.sdk.id })
        assertEquals("Example Ltd.", catalog[0].sdk.vendor)
        assertNotNull(catalog[0].status.firstStartedMs)
        assertEquals(listOf(Feature.CAMERA), catalog[1].sdk.requires)
        assertEquals(14, ageOfDigitalConsent("CN"))
    }
}
