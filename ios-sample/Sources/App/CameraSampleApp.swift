// The sample's UI: thin SwiftUI views over the @Observable view models in Sources/Model
// (iOS 17). Not compiled on these machines: SwiftUI needs an Apple platform.
import ConsentKit
import SwiftUI

@main
struct CameraSampleApp: App {
    @Environment(\.scenePhase) private var scenePhase
    private let store: ConsentStore
    @State private var camera: CameraModel
    @State private var settings: PrivacySettingsModel
    // Made once with the app, not in every `body`: a model made there would be a new one,
    // with a new store subscription, at every redraw.
    @State private var report: PrivacyReportModel
    private let age: AgeRangeModel

    init() {
        // The library's default: Application Support/consentkit, excluded from backups, sealed
        // with a Keychain key. A Keychain that cannot seal fails the open (closed): this sample
        // stops there rather than keep consent it could not prove.
        let store = try! ConsentStore.openForApp(config: ConsentConfig(appId: "com.example.camera"))
        self.store = store
        let platform = IOSPlatform()
        _camera = State(initialValue: CameraModel(store: store, os: platform, camera: platform, sensor: platform, clipboard: platform))
        _settings = State(initialValue: PrivacySettingsModel(store: store, sharer: platform))
        _report = State(initialValue: PrivacyReportModel(store: store, sharer: platform))
        // The OS's age range, with how it was declared: the store ranks it by that (I2).
        age = AgeRangeModel(store: store, service: platform, ageGate: Int(ageOfDigitalConsent(jurisdiction: nil)))
    }

    var body: some Scene {
        WindowGroup {
            TabView {
                CameraView(model: camera).tabItem { Text("Camera") }
                PrivacyView(model: settings).tabItem { Text("Privacy") }
                ReportView(model: report).tabItem { Text("Report") }
            }
            .safeAreaInset(edge: .top) {
                if let damage = settings.state.damage { Text(damage).foregroundStyle(.red).padding() }
            }
        }
        // Background is not use, and the store is in the background until told: the initial
        // phase is reported too. (onChange(of:initial:) is iOS 17, the target.)
        .onChange(of: scenePhase, initial: true) { _, phase in
            phase == .background ? camera.onBackground() : camera.onForeground()
            if phase == .active { age.refresh() }
        }
    }
}

struct CameraView: View {
    let model: CameraModel

    var body: some View {
        VStack(spacing: 16) {
            HStack {
                Button("Shutter") { model.onShutter() }
                if model.state.recording {
                    Button("Stop") { model.onRecordStop() }
                } else {
                    Button("Record") { model.onRecordStart() }
                }
                Button("Paste share code") { model.onPasteShareCode() }
            }
            Text("Photos: \(model.state.photosTaken)")
            if let code = model.state.pastedCode { Text("Pasted: \(code)") }
            if let notice = model.state.notice { Text(notice) }
        }
        .onDisappear { model.onScreenHidden() }
        .alert(model.state.prompt.map { "Allow \($0.title)?" } ?? "", isPresented: .constant(model.state.prompt != nil)) {
            if model.state.prompt?.offerOnce == true {
                Button("Allow once") { model.onPromptAnswer(allow: true, once: true) }
            }
            Button("Allow") { model.onPromptAnswer(allow: true) }
            Button("Don't allow", role: .cancel) { model.onPromptAnswer(allow: false) }
        } message: {
            Text(model.state.prompt?.why ?? "")
        }
    }
}

struct PrivacyView: View {
    let model: PrivacySettingsModel

    var body: some View {
        List {
            ForEach(model.state.rows, id: \.feature) { row in
                Toggle(isOn: Binding(get: { row.enabled }, set: { model.setEnabled(row.feature, $0) })) {
                    VStack(alignment: .leading) {
                        Text(row.title).font(.headline)
                        Text("\(String(describing: row.status)) · OS \(String(describing: row.osPermission))\(row.inUse ? " · in use" : "")")
                        ForEach(row.why, id: \.self) { Text("• \($0)").font(.caption) }
                    }
                }
            }
            Button("Export my data") { try? model.exportMyData() }
            Button("Delete my data", role: .destructive) { model.requestDelete() }
            if let notice = model.state.notice { Text(notice) }
        }
        .confirmationDialog("Delete all consent data?", isPresented: .constant(model.state.confirmingDelete)) {
            Button("Delete", role: .destructive) { try? model.confirmDelete() }
            Button("Cancel", role: .cancel) { model.cancelDelete() }
        }
    }
}

struct ReportView: View {
    let model: PrivacyReportModel

    var body: some View {
        List {
            Section("Last 7 days") {
                ForEach(model.state.rows, id: \.feature) { row in
                    Text("\(row.title): \(row.uses) uses, \(row.timeInUse), \(row.refused) refused")
                }
                Button("Export App Privacy Report (NDJSON)") { try? model.exportAccessReport() }
            }
            Section("Audit log") {
                ForEach(model.state.log, id: \.seq) { Text("#\($0.seq) \($0.text)").font(.caption) }
            }
        }
        .onAppear { try? model.refresh() }
    }
}
