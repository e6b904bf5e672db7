// Cold start from Kotlin: the time from the first consentkit call in a fresh JVM to the first
// answer, split into its phases. Run in its own JVM by scripts/bench (section 12):
//   ColdStart prepare DIR   — fills DIR with a 10,000-record store (run once, in another JVM)
//   ColdStart measure DIR   — prints one Markdown row per phase
package org.consentkit

import java.io.File

private fun ms(from: Long, to: Long) = "%.1f ms".format((to - from) / 1e6)

fun main(args: Array<String>) {
    val dir = File(args[1])
    if (args[0] == "prepare") {
        openConsentStore(dir, consentConfig("com.example.bench")).onScreen().use { store ->
            var written = 0
            while (written < 10_000) {
                store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
                store.beginUse(Feature.CAMERA, "shoot_photo").end()
                store.revoke(Feature.CAMERA, Actor.USER)
                written += 4
            }
        }
        return
    }
    // An app's first calls: a config, the store, a question. The two steps before them only
    // bring forward, to time them apart, what the open would do first anyway.
    val start = System.nanoTime()
    val pointerSize = com.sun.jna.Native.POINTER_SIZE // JNA itself: its classes and native stub
    val jna = System.nanoTime()
    // libconsentkit loaded and UniFFI's functions bound (JNA direct mapping), as the first
    // generated call would. The generated code checks no checksums unless asked to.
    Class.forName("org.consentkit.internal.UniffiLib", true, Thread.currentThread().contextClassLoader)
    val loaded = System.nanoTime()
    val config = consentConfig("com.example.bench")
    val store = openConsentStore(dir, config)
    val opened = System.nanoTime()
    val answer = store.isAllowed(Feature.CAMERA)
    val answered = System.nanoTime()
    println("| JNA loaded | ${ms(start, jna)} |")
    println("| libconsentkit loaded, UniFFI's functions bound | ${ms(jna, loaded)} |")
    println("| config built, store opened (10,000 records) | ${ms(loaded, opened)} |")
    println("| first isAllowed (hot path set up) | ${ms(opened, answered)} |")
    println("| **first answer after the first call** | **${ms(start, answered)}** |")
    if (answer || pointerSize == 0) println("unexpected: camera allowed")
    store.close()
}
