// The camera screen: every use opens a session at the moment of use, prompting right then.
import ConsentKit
import Foundation
import Observation

/// The in-app consent prompt, shown at the moment of use.
public struct ConsentPrompt: Equatable {
    public let feature: Feature
    public let title: String
    public let why: String
    public let offerOnce: Bool
}

public struct CameraState: Equatable {
    public var prompt: ConsentPrompt?
    public var notice: String?
    public var recording = false
    public var recordingWithAudio = false
    public var photosTaken = 0
    public var lastOrientation: Orientation?
    public var pastedCode: String?
}

@Observable
public final class CameraModel: @unchecked Sendable {
    public private(set) var state = CameraState()

    private let store: ConsentStore
    private let os: OsPermissions
    private let camera: CameraHardware
    private let sensor: OrientationSensor
    private let clipboard: ClipboardReader
    @ObservationIgnored private var pendingAction: (() -> Void)?
    @ObservationIgnored private var recordingSessions: [UseSession] = []
    @ObservationIgnored private var subscription: Subscription?

    public init(store: ConsentStore, os: OsPermissions, camera: CameraHardware, sensor: OrientationSensor, clipboard: ClipboardReader) {
        self.store = store
        self.os = os
        self.camera = camera
        self.sensor = sensor
        self.clipboard = clipboard
        // A revocation or the background can end the recording's sessions at any moment.
        subscription = store.subscribe { [weak self] change in
            guard let self, let feature = change.feature, !self.recordingSessions.isEmpty,
                  self.recordingSessions.contains(where: { !$0.isActive() }) else { return }
            self.stopRecording(notice: "Recording stopped: \(Texts.title(feature).lowercased()) access ended")
        }
    }

    public func onShutter() {
        guard let session = open(.camera, purpose: "shoot_photo", retry: { [weak self] in self?.onShutter() }) else { return }
        defer { try? session.end() }
        let orientation = readOrientationWhileShooting()
        camera.capturePhoto(orientation: orientation)
        state.photosTaken += 1
        state.lastOrientation = orientation
        state.notice = nil
    }

    public func onRecordStart() {
        guard !state.recording else { return }
        let retry: () -> Void = { [weak self] in self?.onRecordStart() }
        guard let cameraSession = open(.camera, purpose: "record_video", retry: retry) else { return }
        let microphone = open(.microphone, purpose: "record_video", retry: retry, quietWhenDenied: true)
        if microphone == nil && state.prompt != nil {
            try? cameraSession.end() // asking for the microphone first; the answer restarts recording
            return
        }
        recordingSessions = [cameraSession] + (microphone.map { [$0] } ?? [])
        camera.startRecording(withAudio: microphone != nil)
        state.recording = true
        state.recordingWithAudio = microphone != nil
        state.notice = nil
    }

    public func onRecordStop() { stopRecording(notice: nil) }

    public func onPasteShareCode() {
        guard let session = open(.clipboard, purpose: "share_code", retry: { [weak self] in self?.onPasteShareCode() }, offerOnce: true) else { return }
        defer { try? session.end() }
        state.pastedCode = clipboard.readText()
        state.notice = nil
    }

    /// The user answered the prompt: a decision by the user, then the OS's own dialog.
    public func onPromptAnswer(allow: Bool, once: Bool = false) {
        guard let prompt = state.prompt else { return }
        let resume = pendingAction
        pendingAction = nil
        state.prompt = nil
        guard allow else {
            try? store.deny(feature: prompt.feature, actor: .user)
            resume?() // continues without the feature where it can (a silent video)
            return
        }
        try? store.grant(feature: prompt.feature, scope: once ? .once : .untilRevoked, actor: .user)
        if os.current(prompt.feature) == .unknown {
            os.request(prompt.feature) { [weak self] result in
                try? self?.store.setOsPermission(feature: prompt.feature, permission: result)
                resume?()
            }
        } else {
            resume?()
        }
    }

    /// The camera screen went away: nothing stays in use.
    public func onScreenHidden() { stopRecording(notice: nil) }

    public func onBackground() {
        try? store.setForeground(foreground: false)
        stopRecording(notice: nil)
    }

    public func onForeground() { try? store.setForeground(foreground: true) }

    deinit { subscription?.cancel() }

    private func stopRecording(notice: String?) {
        let sessions = recordingSessions
        recordingSessions = []
        guard !sessions.isEmpty else { return }
        camera.stopRecording()
        sessions.forEach { try? $0.end() }
        state.recording = false
        state.recordingWithAudio = false
        state.notice = notice
    }

    /// Motion sensors only while the camera session is open, and only with their own consent.
    private func readOrientationWhileShooting() -> Orientation {
        syncOsPermission(.motionSensors)
        guard let session = try? store.beginUse(feature: .motionSensors, purpose: "orientation") else { return .portrait }
        defer { try? session.end() }
        var orientation = Orientation.portrait
        sensor.start { orientation = $0 }
        sensor.stop()
        return orientation
    }

    private func syncOsPermission(_ feature: Feature) {
        let current = os.current(feature)
        if current != store.state(feature: feature).osPermission {
            try? store.setOsPermission(feature: feature, permission: current)
        }
    }

    /// Opens a use session, or asks the user now (resuming `retry` after the answer), or says why not.
    private func open(_ feature: Feature, purpose: String, retry: @escaping () -> Void, offerOnce: Bool = false, quietWhenDenied: Bool = false) -> UseSession? {
        syncOsPermission(feature)
        do {
            return try store.beginUse(feature: feature, purpose: purpose)
        } catch let error as ConsentError {
            let title = Texts.title(feature)
            switch error {
            case .ConsentRequired, .NeedsReconsent:
                pendingAction = retry
                state.prompt = ConsentPrompt(feature: feature, title: title, why: Texts.why(purpose), offerOnce: offerOnce)
            case .Denied:
                state.notice = quietWhenDenied ? nil : "\(title) is off. Turn it on in Settings › Privacy."
            case .OsPermissionDenied:
                state.notice = "\(title) is blocked in the system settings."
            case .InBackground:
                state.notice = nil
            default:
                state.notice = error.localizedDescription
            }
            return nil
        } catch {
            state.notice = "\(error)"
            return nil
        }
    }
}
