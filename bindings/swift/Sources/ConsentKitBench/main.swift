// Per-call cost from Swift, side by side in one process: isAllowed (the hot read path),
// state (a UniFFI call returning a record) and a beginUse/end pair, against a Dictionary
// lookup behind a lock. Not a test: run by scripts/bench (`swift run -c release`).
import ConsentKit
import Foundation

let rounds = 15

/// Median nanoseconds per call of `op` over `rounds` timed rounds of `calls` calls each.
func medianNanos(_ calls: Int, _ op: (Int) -> Bool) -> Double {
    var sink = 0
    for _ in 0..<3 { for i in 0..<calls where op(i) { sink &+= 1 } } // warm-up
    var perCall: [Double] = []
    for _ in 0..<rounds {
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<calls where op(i) { sink &+= 1 }
        perCall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(calls))
    }
    if sink == Int.min { print(sink) } // keep the results alive
    return perCall.sorted()[rounds / 2]
}

func line(_ name: String, _ nanos: Double, _ baseline: Double) {
    print("| \(name) | \(String(format: "%.1f", nanos)) ns | \(String(format: "%.1f", nanos / baseline))× |")
}

let features: [Feature] = [.camera, .microphone, .photoLibrary, .clipboard, .motionSensors, .adPersonalization]
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("consentkit-bench-\(UUID().uuidString)")
let store = try ConsentStore.open(directory: dir, config: ConsentConfig(appId: "com.example.bench"))
let memory = try ConsentStore.openInMemory(config: ConsentConfig(appId: "com.example.bench"))
// The app is on screen, and says so: a store is in the background until told.
try store.setForeground(foreground: true)
try memory.setForeground(foreground: true)
try store.grant(feature: .camera, scope: .untilRevoked, actor: .user)
try memory.grant(feature: .camera, scope: .untilRevoked, actor: .user)
let session = try store.beginUse(feature: .camera, purpose: "shoot_photo") // isAllowed(.camera) is true

let lock = NSLock()
let map = Dictionary(uniqueKeysWithValues: features.map { ($0, $0 == .camera) })

print("| call (median of \(rounds) rounds) | per call | vs the lookup |")
print("|---|---|---|")
let mapLookup = medianNanos(2_000_000) { i in lock.lock(); defer { lock.unlock() }; return map[features[i % 6]]! }
line("Dictionary lookup behind an NSLock", mapLookup, mapLookup)
line("isAllowed (durable store)", medianNanos(2_000_000) { i in store.isAllowed(feature: features[i % 6]) }, mapLookup)
line("UseSession.isActive", medianNanos(200_000) { _ in session.isActive() }, mapLookup)
line("state (durable store)", medianNanos(20_000) { i in store.state(feature: features[i % 6]).allowed }, mapLookup)
line("beginUse + end (in-memory store)", medianNanos(2_000) { _ in
    (try? memory.withUse(.camera, purpose: "shoot_photo") { _ in true }) ?? false
}, mapLookup)
try session.end()
try? FileManager.default.removeItem(at: dir)
