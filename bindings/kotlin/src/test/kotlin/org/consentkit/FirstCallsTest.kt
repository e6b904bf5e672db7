package org.consentkit

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

/**
 * The first consentkit calls of a process, made from several threads at once — an app opening
 * its store on the main thread while a worker subscribes to changes. First calls set up JNA's
 * structure machinery, bind UniFFI's functions and (on a first subscription) register the
 * observer vtable with Rust: class initialisation on several threads, where JNA has deadlocked
 * before (java-native-access/jna#652, #1681; a warm-up thread tried for the cold start hung
 * exactly so). Only a fresh JVM has all of it cold, so each round is a child process.
 */
class FirstCallsTest {
    @TempDir
    lateinit var dir: File

    @Test
    fun `first calls from several threads at once all return`() {
        val java = File(System.getProperty("java.home"), "bin/java").path
        val libraryPath = System.getProperty("jna.library.path") ?: ""
        repeat(ROUNDS) { round ->
            val child = ProcessBuilder(
                java, "-Djna.library.path=$libraryPath", "-cp", System.getProperty("java.class.path"),
                "org.consentkit.FirstCallsTestKt", File(dir, "round-$round").path,
            ).redirectErrorStream(true).start()
            val finished = child.waitFor(60, TimeUnit.SECONDS)
            if (!finished) child.destroyForcibly()
            val output = child.inputStream.bufferedReader().readText()
            assertTrue(finished, "round $round: the first calls never returned (deadlock)\n$output")
            assertEquals(0, child.exitValue(), "round $round:\n$output")
            assertEquals("$THREADS threads answered", output.trim(), "round $round")
        }
    }

    private companion object {
        const val ROUNDS = 6
    }
}

private const val THREADS = 4

/** The child process: [THREADS] threads released together, each making its own first calls. */
fun main(args: Array<String>) {
    val dir = File(args[0])
    val go = CountDownLatch(1)
    val answered = java.util.concurrent.atomic.AtomicInteger()
    val threads = (0 until THREADS).map { n ->
        Thread {
            go.await()
            // Different first calls on different threads, as in an app: a free function, a
            // store on disk, a store in memory whose first act is to subscribe an observer —
            // which must hear the grant that follows (its vtable registered in time).
            when (n) {
                0 -> check(ageOfDigitalConsent("DE") == 16)
                1 -> openConsentStore(File(dir, "store-$n"), consentConfig("com.example.camera"))
                    .use { check(!it.isAllowed(Feature.CAMERA)) }
                2 -> ConsentStore.openInMemory(consentConfig("com.example.camera"))
                    .use { check(it.state(Feature.MICROPHONE).status == ConsentStatus.NOT_ASKED) }
                else -> ConsentStore.openInMemory(consentConfig("com.example.camera")).onScreen().use { store ->
                    val heard = CountDownLatch(1)
                    val subscription = store.subscribe(object : ConsentObserver {
                        override fun onChange(change: ConsentChange) {
                            if (change.kind == AuditKind.GRANTED) heard.countDown()
                        }
                    })
                    store.grant(Feature.MICROPHONE, GrantScope.UNTIL_REVOKED, Actor.USER)
                    check(heard.await(10, TimeUnit.SECONDS)) { "the observer never heard the grant" }
                    subscription.cancel()
                }
            }
            answered.incrementAndGet()
        }.apply { start() }
    }
    go.countDown()
    threads.forEach { it.join() }
    println("${answered.get()} threads answered")
}
