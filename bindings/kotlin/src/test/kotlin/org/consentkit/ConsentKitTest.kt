package org.consentkit

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

private const val APP = "com.example.camera"

class ConsentKitTest {
    @TempDir
    lateinit var dir: File

    private fun open(config: ConsentConfig = consentConfig(APP)) = openConsentStore(dir, config).onScreen()

    private fun ConsentStore.grantCamera() = grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)

    @Test
    fun `grant then begin use allows the feature until the session ends`(): Unit = open().use { store ->
        assertFalse(store.isAllowed(Feature.CAMERA))
        store.grantCamera()
        assertFalse(store.isAllowed(Feature.CAMERA), "consent alone never opens the door")
        val session = store.beginUse(Feature.CAMERA, "shoot_photo")
        assertTrue(session.isActive())
        assertEquals(Feature.CAMERA, session.feature())
        assertEquals("shoot_photo", session.purpose())
        assertTrue(store.isAllowed(Feature.CAMERA))
        assertTrue(store.state(Feature.CAMERA).allowed)
        session.end()
        assertFalse(session.isActive())
        assertFalse(store.isAllowed(Feature.CAMERA))
    }

    @Test
    fun `use blocks end the session when they return or throw`(): Unit = open().use { store ->
        store.grantCamera()
        val taken = store.withUse(Feature.CAMERA, "shoot_photo") {
            assertTrue(store.isAllowed(Feature.CAMERA))
            "photo"
        }
        assertEquals("photo", taken)
        assertFalse(store.isAllowed(Feature.CAMERA))
        assertThrows<IllegalStateException> {
            store.beginUse(Feature.CAMERA, "record_video").use { error("camera failed") }
        }
        assertFalse(store.isAllowed(Feature.CAMERA))
        val ended = store.auditLog(AuditFilter(limit = 1u)).single()
        assertEquals(AuditKind.SESSION_ENDED, ended.kind)
        assertEquals(SessionEndReason.RELEASED, ended.endReason)
    }

    @Test
    fun `withUse ends its session as the app ending it, when the block returns or throws`(): Unit = open().use { store ->
        store.grantCamera()
        val returned = store.withUse(Feature.CAMERA, "shoot_photo") { it.id() }
        var threw: ULong? = null
        assertThrows<IllegalStateException> {
            store.withUse(Feature.CAMERA, "record_video") { session ->
                threw = session.id()
                error("camera failed")
            }
        }
        // A session the rules already ended keeps its reason: the end after the block adds nothing.
        val revoked = store.withUse(Feature.CAMERA, "shoot_photo") { session ->
            store.revoke(Feature.CAMERA, Actor.USER)
            session.id()
        }
        assertFalse(store.isAllowed(Feature.CAMERA))
        val endReasons = store.auditLog(AuditFilter())
            .filter { it.kind == AuditKind.SESSION_ENDED }
            .associate { it.sessionId to it.endReason }
        assertEquals(
            mapOf(
                returned to SessionEndReason.ENDED,
                threw to SessionEndReason.ENDED,
                revoked to SessionEndReason.REVOKED,
            ),
            endReasons,
        )
    }

    @Test
    fun `refusals throw the matching exception and are logged`(): Unit = open().use { store ->
        val required = assertThrows<ConsentRequiredException> { store.beginUse(Feature.CAMERA, "shoot_photo") }
        assertEquals(Feature.CAMERA, required.feature())
        assertTrue(required.shouldAsk() && required.isRefusal())
        assertThrows<UnknownPurposeException> { store.beginUse(Feature.CAMERA, "login") }
        assertThrows<InvalidArgumentException> { store.beginUse(Feature.CAMERA, "Not A Purpose") }
        assertThrows<NotPermittedException> { store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.APP) }
        store.deny(Feature.MICROPHONE, Actor.USER)
        assertThrows<ConsentDeniedException> { store.beginUse(Feature.MICROPHONE, "voice_note") }
        store.grantCamera()
        store.setOsPermission(Feature.CAMERA, OsPermission.DENIED)
        assertThrows<OsPermissionDeniedException> { store.beginUse(Feature.CAMERA, "shoot_photo") }
        val refusals = store.auditLog(AuditFilter()).filter { it.kind == AuditKind.SESSION_REFUSED }.map { it.refusal }
        assertEquals(
            listOf(
                RefusalReason.OS_PERMISSION_DENIED, RefusalReason.DENIED, RefusalReason.INVALID_PURPOSE,
                RefusalReason.UNKNOWN_PURPOSE, RefusalReason.CONSENT_REQUIRED,
            ),
            refusals,
        )
        // Which errors are refusals, and which ask the person now, comes from the core.
        val denied = assertThrows<ConsentDeniedException> { store.beginUse(Feature.MICROPHONE, "voice_note") }
        assertTrue(denied.isRefusal() && !denied.shouldAsk())
        val invalid = assertThrows<InvalidArgumentException> { store.beginUse(Feature.CAMERA, "Shoot") }
        assertFalse(invalid.isRefusal())
        assertTrue(invalid.reason.contains("capital letters"), invalid.reason)
    }

    @Test
    fun `revoking from another thread ends the session and reaches the observer`(): Unit = open().use { store ->
        val changes = CopyOnWriteArrayList<ConsentChange>()
        val revoked = CountDownLatch(1)
        val subscription = store.subscribe(object : ConsentObserver {
            override fun onChange(change: ConsentChange) {
                changes += change
                if (change.endReason == SessionEndReason.REVOKED) revoked.countDown()
            }
        })
        store.grantCamera()
        val session = store.beginUse(Feature.CAMERA, "record_video")
        val revoker = Thread { store.revoke(Feature.CAMERA, Actor.USER) }
        revoker.start()
        assertTrue(revoked.await(5, TimeUnit.SECONDS), "observer heard of the revocation")
        revoker.join()
        assertFalse(session.isActive())
        assertFalse(store.isAllowed(Feature.CAMERA))
        assertEquals(
            listOf(AuditKind.GRANTED, AuditKind.SESSION_BEGAN, AuditKind.REVOKED, AuditKind.SESSION_ENDED),
            changes.map { it.kind },
        )
        assertEquals(ConsentStatus.DENIED, changes.last().state?.status)
        subscription.cancel()
        store.grantCamera()
        assertEquals(4, changes.size, "no changes after cancel")
    }

    @Test
    fun `a single use grant is consumed when its session ends`(): Unit = open().use { store ->
        store.grant(Feature.CLIPBOARD, GrantScope.ONCE, Actor.USER)
        store.withUse(Feature.CLIPBOARD, "share_code") {
            assertThrows<SingleUseInProgressException> { store.beginUse(Feature.CLIPBOARD, "share_code") }
        }
        assertEquals(ConsentStatus.NOT_ASKED, store.state(Feature.CLIPBOARD).status)
        assertThrows<ConsentRequiredException> { store.beginUse(Feature.CLIPBOARD, "share_code") }
    }

    @Test
    fun `going to the background ends camera sessions and refuses new ones`(): Unit = open().use { store ->
        store.grantCamera()
        store.grant(Feature.PHOTO_LIBRARY, GrantScope.UNTIL_REVOKED, Actor.USER)
        val camera = store.beginUse(Feature.CAMERA, "shoot_photo")
        val library = store.beginUse(Feature.PHOTO_LIBRARY, "save_media")
        store.setForeground(false)
        assertFalse(camera.isActive())
        assertTrue(library.isActive())
        assertThrows<InBackgroundException> { store.beginUse(Feature.CAMERA, "shoot_photo") }
        store.setForeground(true)
        store.withUse(Feature.CAMERA, "shoot_photo") { assertTrue(store.isAllowed(Feature.CAMERA)) }
    }

    @Test
    fun `a terms revision bump asks again for that feature only`() {
        open().use { store ->
            store.grantCamera()
            store.grant(Feature.MICROPHONE, GrantScope.UNTIL_REVOKED, Actor.USER)
        }
        val camera = FeaturePolicy(Feature.CAMERA, listOf("shoot_photo", "record_video"), 2u)
        open(consentConfig(APP, camera)).use { store ->
            assertEquals(ConsentStatus.NEEDS_RECONSENT, store.state(Feature.CAMERA).status)
            assertEquals(2u, store.state(Feature.CAMERA).termsRevision)
            assertEquals(ConsentStatus.GRANTED, store.state(Feature.MICROPHONE).status)
            assertThrows<NeedsReconsentException> { store.beginUse(Feature.CAMERA, "shoot_photo") }
            store.grantCamera()
            assertEquals(2u, store.state(Feature.CAMERA).decidedTermsRevision)
        }
    }

    @Test
    fun `decisions persist across reopening and a second opener is refused`() {
        val first = open()
        first.grantCamera()
        first.setOsPermission(Feature.CAMERA, OsPermission.GRANTED)
        assertThrows<StoreLockedException> { open() }
        first.close()
        open().use { store ->
            assertEquals(ConsentStatus.GRANTED, store.state(Feature.CAMERA).status)
            assertEquals(OsPermission.GRANTED, store.state(Feature.CAMERA).osPermission)
            assertTrue(store.verify().intact)
        }
    }

    @Test
    fun `coroutines share one store and leave a gap free verified chain`(): Unit = open().use { store ->
        runBlocking(Dispatchers.Default) {
            (0 until 8).map { n ->
                async {
                    val feature = Feature.entries[n % Feature.entries.size]
                    val purpose = defaultPolicies().first { it.feature == feature }.purposes.first()
                    repeat(40) { round ->
                        if (round % 5 == 0) store.revoke(feature, Actor.USER)
                        else store.grant(feature, GrantScope.UNTIL_REVOKED, Actor.USER)
                        try {
                            store.withUse(feature, purpose) { store.isAllowed(feature) }
                        } catch (refused: ConsentException) {
                            // Another coroutine revoked in between (or nothing was granted yet
                            // to revoke): a valid outcome, as long as it is a refusal.
                            if (!refused.isRefusal()) throw refused
                        }
                    }
                }
            }.awaitAll()
        }
        val seqs = store.auditLog(AuditFilter()).map { it.seq }.reversed()
        assertEquals((1uL..store.head().seq).toList(), seqs)
        assertTrue(store.verify().intact)
    }

    @Test
    fun `a corrupted store comes back with everything off`() {
        open().use { store ->
            store.grantCamera()
            store.grant(Feature.MICROPHONE, GrantScope.UNTIL_REVOKED, Actor.USER)
            store.withUse(Feature.CAMERA, "shoot_photo") {}
        }
        val log = File(dir, "consent.log")
        val bytes = log.readBytes()
        // A byte inside the first records (the log keeps zeroed free space after them).
        bytes[200] = (bytes[200].toInt() xor 0x10).toByte()
        log.writeBytes(bytes)
        open().use { store ->
            assertTrue(store.states().none { it.status == ConsentStatus.GRANTED || it.allowed })
            val notice = store.recoveryNotice()
            assertNotNull(notice, "the store says why everything is off")
            assertTrue(File(dir, notice!!.quarantinedAs).isDirectory, "damaged files kept aside")
            val report = store.verify()
            assertFalse(report.intact)
            assertEquals(notice.firstBadSeq, report.firstBadSeq)
        }
    }

    @Test
    fun `the state flow follows decisions and sessions`(): Unit = open().use { store ->
        store.stateFlow().use { live ->
            assertEquals(6, live.states.value.size)
            assertEquals(ConsentStatus.NOT_ASKED, live[Feature.CAMERA].status)
            store.grantCamera()
            assertEquals(ConsentStatus.GRANTED, live[Feature.CAMERA].status)
            store.withUse(Feature.CAMERA, "shoot_photo") {
                assertTrue(live[Feature.CAMERA].allowed)
                assertEquals(1u, live[Feature.CAMERA].activeSessions)
            }
            store.revoke(Feature.CAMERA, Actor.USER)
            assertEquals(ConsentStatus.DENIED, live[Feature.CAMERA].status)
        }
    }

    @Test
    fun `the changes flow delivers changes in order while collected and unsubscribes on cancel`(): Unit = open().use { store ->
        runBlocking {
            val seen = Channel<ConsentChange>(Channel.UNLIMITED)
            val collector = launch(Dispatchers.Default) { store.changes().collect { seen.send(it) } }
            // The flow subscribes once collection starts: poke until the first change arrives.
            withTimeout(5_000) {
                while (withTimeoutOrNull(50) { seen.receive() } == null) store.deny(Feature.PHOTO_LIBRARY, Actor.APP)
            }
            store.grant(Feature.PHOTO_LIBRARY, GrantScope.UNTIL_REVOKED, Actor.USER)
            store.revoke(Feature.PHOTO_LIBRARY, Actor.USER)
            val after = mutableListOf<ConsentChange>()
            withTimeout(5_000) { while (after.none { it.kind == AuditKind.REVOKED }) after += seen.receive() }
            assertEquals(listOf(AuditKind.GRANTED, AuditKind.REVOKED), after.map { it.kind }.dropWhile { it == AuditKind.DENIED })
            assertTrue(after.zipWithNext().all { (a, b) -> a.seq < b.seq }, "in log order")
            collector.cancelAndJoin()
            store.grantCamera()
            assertNull(seen.tryReceive().getOrNull(), "cancelled collection unsubscribed")
        }
    }

    @Test
    fun `privacy report, audit log and exports read the history back`(): Unit = open().use { store ->
        store.grantCamera()
        store.withUse(Feature.CAMERA, "shoot_photo") {}
        assertThrows<ConsentRequiredException> { store.beginUse(Feature.MICROPHONE, "voice_note") }
        val now = System.currentTimeMillis()
        val report = store.privacyReport(now - 86_400_000, now + 60_000)
        val camera = report.features.first { it.feature == Feature.CAMERA }
        assertEquals(1u, camera.uses)
        assertEquals(listOf(PurposeUse("shoot_photo", 1u)), camera.purposes)
        val microphone = report.features.first { it.feature == Feature.MICROPHONE }
        assertEquals(0u to 1u, microphone.refused to microphone.neededConsent)
        assertEquals(3, store.auditLog(AuditFilter(feature = Feature.CAMERA)).size)
        assertTrue(store.exportJson().contains("\"how_to_withdraw\""))
        val lines = store.exportAccessNdjson().trim().lines()
        assertEquals(2, lines.size)
        assertTrue(lines[0].contains("\"kind\":\"intervalBegin\"") && lines[1].contains("\"kind\":\"intervalEnd\""))
        store.eraseAll()
        // The erasure, then the app saying it is still on screen (a new chain starts in the background).
        assertEquals(2uL, store.head().seq)
        assertNull(store.recoveryNotice())
    }

    @Test
    fun `standard records, Kantara receipts and the report in the person's language`() {
        val camera = FeaturePolicy(
            feature = Feature.CAMERA,
            purposes = listOf("shoot_photo"),
            termsRevision = 1u,
            name = "相机",
            purposeTexts = listOf(PurposeText("shoot_photo", "在你按下快门时拍照")),
        )
        val config = consentConfig(APP, camera).copy(
            jurisdiction = "CN",
            controller = Controller(name = "Example Camera Ltd.", email = "privacy@example.com"),
            policyUrl = "https://example.com/privacy",
            policyLanguage = "zh-Hans",
        )
        open(config).use { store ->
            store.grantCamera()
            val receipts = store.exportKantaraReceipts()
            assertTrue(receipts.startsWith("[{\"version\":\"KI-CR-v1.1.0\""), receipts)
            assertTrue(receipts.contains("\"service\":\"相机\""), receipts)
            val export = store.exportJson()
            assertTrue(export.contains("\"controller\":{\"name\":\"Example Camera Ltd.\""), export)
            assertTrue(export.contains("\"description\":\"在你按下快门时拍照\""), export)
            store.withUse(Feature.CAMERA, "shoot_photo") {}
            val now = System.currentTimeMillis()
            val page = store.privacyReportHtml(now - 86_400_000, now + 60_000, languageFor(java.util.Locale.SIMPLIFIED_CHINESE))
            assertTrue(page.contains("<html lang=\"zh-Hans\">") && page.contains("<main>"), page)
            assertTrue(page.contains("相机 · 使用 1 次") && page.contains("在你按下快门时拍照"), page)
            assertEquals(Language.ENGLISH, languageFor(java.util.Locale.GERMANY))
        }
        assertThrows<InvalidConfigException> {
            openConsentStore(File(dir, "other"), config.copy(policyUrl = "http://example.com"))
        }
    }
}
