// What the view models need from the device, implemented by the iOS app (and by fakes in
// tests). No UIKit or AVFoundation types cross these protocols.
import ConsentKit
import Foundation

public protocol OsPermissions: AnyObject {
    func current(_ feature: Feature) -> OsPermission
    func request(_ feature: Feature, onResult: @escaping (OsPermission) -> Void)
}

public protocol ClipboardReader: AnyObject {
    func readText() -> String?
}

public enum Orientation: Equatable, Sendable { case portrait, landscape }

public protocol OrientationSensor: AnyObject {
    func start(onChange: @escaping (Orientation) -> Void)
    func stop()
}

public protocol CameraHardware: AnyObject {
    func capturePhoto(orientation: Orientation)
    func startRecording(withAudio: Bool)
    func stopRecording()
}

public protocol Sharer: AnyObject {
    func share(fileName: String, mimeType: String, content: String)
}
