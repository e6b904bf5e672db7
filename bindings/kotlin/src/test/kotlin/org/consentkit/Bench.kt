// Per-call cost from Kotlin, side by side in one JVM: isAllowed (the hot read path), calls
// through UniFFI and a beginUse/end pair, against a ConcurrentHashMap lookup. Not a test: run
// by scripts/bench, which puts its Markdown rows into BENCHMARKS.md.
package org.consentkit

import java.nio.file.Files
import java.util.concurrent.ConcurrentHashMap

private const val ROUNDS = 15

/** Median nanoseconds per call of [op], over [ROUNDS] timed rounds of [calls] calls each. */
private fun medianNanos(calls: Int, op: (Int) -> Any?): Double {
    var sink = 0
    repeat(3) { repeat(calls) { i -> if (op(i) == true) sink++ } } // warm-up (JIT)
    val perCall = (0 until ROUNDS).map {
        val start = System.nanoTime()
        repeat(calls) { i -> if (op(i) == true) sink++ }
        (System.nanoTime() - start).toDouble() / calls
    }.sorted()
    if (sink == Int.MIN_VALUE) println(sink) // keep the results alive
    return perCall[ROUNDS / 2]
}

private fun line(name: String, nanos: Double, baseline: Double) =
    println("| %s | %.1f ns | %.1f× |".format(name, nanos, nanos / baseline))

fun main() {
    val features = Feature.entries
    val map = ConcurrentHashMap<Feature, Boolean>().apply { features.forEach { put(it, it == Feature.CAMERA) } }
    val dir = Files.createTempDirectory("consentkit-bench").toFile()
    val durable = openConsentStore(dir, consentConfig("com.example.bench")).onScreen()
    val memory = ConsentStore.openInMemory(consentConfig("com.example.bench")).onScreen()
    for (store in listOf(durable, memory)) {
        store.grant(Feature.CAMERA, GrantScope.UNTIL_REVOKED, Actor.USER)
    }
    val open = durable.beginUse(Feature.CAMERA, "shoot_photo") // so isAllowed(CAMERA) is true

    println("| call (JVM ${System.getProperty("java.version")}, median of $ROUNDS rounds) | per call | vs the map |")
    println("|---|---|---|")
    val mapLookup = medianNanos(2_000_000) { i -> map[features[i % 6]] }
    line("ConcurrentHashMap.get", mapLookup, mapLookup)
    line("isAllowed (durable store)", medianNanos(2_000_000) { i -> durable.isAllowed(features[i % 6]) }, mapLookup)
    line("UseSession.isActive (no arguments)", medianNanos(20_000) { open.isActive() }, mapLookup)
    line("state (durable store)", medianNanos(20_000) { i -> durable.state(features[i % 6]).allowed }, mapLookup)
    line("beginUse + end (in-memory store)", medianNanos(2_000) { memory.beginUse(Feature.CAMERA, "shoot_photo").end() }, mapLookup)
    line("beginUse + end (durable store, 2 fsyncs)", medianNanos(200) { durable.beginUse(Feature.CAMERA, "shoot_photo").end() }, mapLookup)
    open.end()
    durable.close()
    memory.close()
    dir.deleteRecursively()
}
