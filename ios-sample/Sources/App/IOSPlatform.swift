// The iOS side of the view models' platform protocols (iOS 17: videoRotationAngle).
// Not compiled on these machines: UIKit, AVFoundation and CoreMotion exist only on Apple platforms.
import AVFoundation
import CoreMotion
import ConsentKit
import UIKit
#if canImport(DeclaredAgeRange)
import DeclaredAgeRange
#endif

final class IOSPlatform: OsPermissions, ClipboardReader, OrientationSensor, CameraHardware, Sharer {
    private let motion = CMMotionManager()
    private let session = AVCaptureSession()
    private let photoOutput = AVCapturePhotoOutput()
    private let movieOutput = AVCaptureMovieFileOutput()
    private var audioInput: AVCaptureDeviceInput?

    /// Inputs are attached only when a use begins (the camera model calls in inside a session).
    private func configureVideo() {
        guard session.inputs.isEmpty, let camera = AVCaptureDevice.default(for: .video),
              let input = try? AVCaptureDeviceInput(device: camera) else { return }
        session.beginConfiguration()
        if session.canAddInput(input) { session.addInput(input) }
        if session.canAddOutput(photoOutput) { session.addOutput(photoOutput) }
        if session.canAddOutput(movieOutput) { session.addOutput(movieOutput) }
        session.commitConfiguration()
    }

    func current(_ feature: Feature) -> OsPermission {
        let media: AVMediaType
        switch feature {
        case .camera: media = .video
        case .microphone: media = .audio
        default: return .granted // no runtime permission for the others here
        }
        switch AVCaptureDevice.authorizationStatus(for: media) {
        case .authorized: return .granted
        case .denied, .restricted: return .denied
        default: return .unknown
        }
    }

    func request(_ feature: Feature, onResult: @escaping (OsPermission) -> Void) {
        let media: AVMediaType = feature == .microphone ? .audio : .video
        AVCaptureDevice.requestAccess(for: media) { granted in
            DispatchQueue.main.async { onResult(granted ? .granted : .denied) }
        }
    }

    func readText() -> String? { UIPasteboard.general.string }

    /// Reports the orientation at once — the device's, or the last reading — then every
    /// accelerometer reading until `stop()`.
    func start(onChange: @escaping (Orientation) -> Void) {
        let device = UIDevice.current.orientation
        if device.isValidInterfaceOrientation {
            onChange(device.isLandscape ? .landscape : .portrait)
        } else if let gravity = motion.accelerometerData?.acceleration {
            onChange(Self.orientation(of: gravity))
        }
        guard motion.isAccelerometerAvailable else { return }
        motion.accelerometerUpdateInterval = 0.1
        motion.startAccelerometerUpdates(to: .main) { data, _ in
            if let gravity = data?.acceleration { onChange(Self.orientation(of: gravity)) }
        }
    }

    private static func orientation(of gravity: CMAcceleration) -> Orientation {
        abs(gravity.x) > abs(gravity.y) ? .landscape : .portrait
    }

    func stop() { motion.stopAccelerometerUpdates() }

    func capturePhoto(orientation: Orientation) {
        configureVideo()
        session.startRunning()
        photoOutput.connection(with: .video)?.videoRotationAngle = orientation == .landscape ? 0 : 90
        photoOutput.capturePhoto(with: AVCapturePhotoSettings(), delegate: PhotoSaver.shared)
    }

    func startRecording(withAudio: Bool) {
        configureVideo()
        if withAudio, audioInput == nil, let mic = AVCaptureDevice.default(for: .audio),
           let input = try? AVCaptureDeviceInput(device: mic), session.canAddInput(input) {
            session.addInput(input)
            audioInput = input
        }
        session.startRunning()
        let url = FileManager.default.urls(for: .documentDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("video-\(Int(Date().timeIntervalSince1970)).mov")
        movieOutput.startRecording(to: url, recordingDelegate: PhotoSaver.shared)
    }

    func stopRecording() {
        movieOutput.stopRecording()
        // The microphone is detached as soon as its session ends.
        if let audioInput { session.removeInput(audioInput) }
        audioInput = nil
        session.stopRunning()
    }

    func share(fileName: String, mimeType: String, content: String) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(fileName)
        try? content.write(to: url, atomically: true, encoding: .utf8)
        let sheet = UIActivityViewController(activityItems: [url], applicationActivities: nil)
        UIApplication.shared.connectedScenes.compactMap { ($0 as? UIWindowScene)?.keyWindow }.first?
            .rootViewController?.present(sheet, animated: true)
    }
}

extension IOSPlatform: OsAgeRangeService {
    /// Apple's Declared Age Range (iOS 26), mapped to the model's terms; nothing before iOS 26
    /// or when the person declines to share.
    func requestAgeRange(ageGate: Int, onResult: @escaping (OsAgeRange?) -> Void) {
        #if canImport(DeclaredAgeRange)
        guard #available(iOS 26.0, *),
              let anchor = UIApplication.shared.connectedScenes.compactMap({ ($0 as? UIWindowScene)?.keyWindow }).first?
                .rootViewController else { return onResult(nil) }
        Task { @MainActor in
            let response = try? await DeclaredAgeRange.AgeRangeService.shared.requestAgeRange(ageGates: ageGate, in: anchor)
            guard case let .sharing(range) = response else { return onResult(nil) }
            let declaration: AgeDeclaration?
            switch range.ageRangeDeclaration {
            case .selfDeclared?: declaration = .selfDeclared
            case .guardianDeclared?: declaration = .guardianDeclared
            case nil: declaration = nil
            default: declaration = .checked // ID, payment or another confirmed check (iOS 26.2+)
            }
            onResult(OsAgeRange(lowerBound: range.lowerBound, upperBound: range.upperBound, declaration: declaration))
        }
        #else
        onResult(nil)
        #endif
    }
}

/// Writes captured photos into Documents; recordings are already written by the movie output.
final class PhotoSaver: NSObject, AVCapturePhotoCaptureDelegate, AVCaptureFileOutputRecordingDelegate {
    static let shared = PhotoSaver()

    func photoOutput(_ output: AVCapturePhotoOutput, didFinishProcessingPhoto photo: AVCapturePhoto, error: Error?) {
        guard let data = photo.fileDataRepresentation() else { return }
        let url = FileManager.default.urls(for: .documentDirectory, in: .userDomainMask)[0]
            .appendingPathComponent("photo-\(Int(Date().timeIntervalSince1970)).jpg")
        try? data.write(to: url)
    }

    func fileOutput(_ output: AVCaptureFileOutput, didFinishRecordingTo url: URL, from connections: [AVCaptureConnection], error: Error?) {}
}
