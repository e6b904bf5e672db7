// The app's store as Apple apps open it: in Application Support, excluded from device backups,
// sealed with a key in the Keychain unless the app explicitly chooses otherwise. Restoring an old
// copy, editing or cutting the log is then damage (README, "What the log proves"); without a
// Keychain the open fails closed, never unsealed.
import Foundation

/// How the app's store is protected from edits, cuts and restored old copies.
public enum Sealing {
    /// Sealed with a key generated in the Keychain, this device only: the default. Apple
    /// platforms only; elsewhere opening with it throws.
    case keychain(service: String = "org.consentkit.seal")
    /// Sealed by `sealer`: a key kept elsewhere (`InMemorySealer` in tests and on Linux).
    case sealer(Sealer)
    /// Not sealed: anyone with the files can rewrite history unnoticed (damage is still
    /// caught). Only as an explicit choice; a store once sealed is never opened unsealed for
    /// writing: it needs its key.
    case none
}

/// A sealer whose key and anchor outlive the app's files — the Keychain survives deleting the
/// app — and belong to one install of it: forgotten when a fresh install opens its store.
public protocol InstallBoundSealer: Sealer {
    /// Forgets the key and anchor kept for an earlier install.
    func forget() throws
}

extension ConsentStore {
    /// The store's directory under Application Support.
    public static let appDirectoryName = "consentkit"

    /// Marks a store directory as this install's: its absence is a fresh install.
    static let installMarker = ".install"

    /// Opens the app's store in `directory` (Application Support/consentkit by default),
    /// excluded from device backups, sealed with the Keychain unless `sealing` says otherwise.
    ///
    /// On a fresh install — no store directory of this install yet — what the sealer kept for
    /// an earlier install is forgotten first, so a reinstall starts afresh instead of as
    /// damage. Files deleted or restored inside an existing store directory are still damage.
    /// Throws `SealerError` when the Keychain cannot seal: nothing is written then, and the app
    /// decides whether to open with `.none`.
    public static func openForApp(
        config: ConsentConfig,
        sealing: Sealing = .keychain(),
        directory: URL? = nil
    ) throws -> ConsentStore {
        let fileManager = FileManager.default
        var dir = try directory ?? fileManager
            .url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            .appendingPathComponent(appDirectoryName, isDirectory: true)
        let marker = dir.appendingPathComponent(installMarker)
        let freshInstall = !fileManager.fileExists(atPath: marker.path)
        try fileManager.createDirectory(at: dir, withIntermediateDirectories: true)
        try excludeFromBackup(&dir)
        let sealer = try sealing.sealer()
        if freshInstall {
            try (sealer as? InstallBoundSealer)?.forget()
            try Data().write(to: marker, options: .atomic)
        }
        guard let sealer else { return try open(directory: dir, config: config) }
        return try openSealed(directory: dir, config: config, sealer: sealer)
    }

    /// Keeps `dir` and everything in it out of iCloud and computer backups.
    static func excludeFromBackup(_ dir: inout URL) throws {
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try dir.setResourceValues(values)
    }
}

extension Sealing {
    /// The sealer to open with; `nil` for `.none`.
    func sealer() throws -> Sealer? {
        switch self {
        case .none:
            return nil
        case .sealer(let sealer):
            return sealer
        case .keychain(let service):
            #if canImport(Security) && canImport(CryptoKit)
            return KeychainSealer(service: service)
            #else
            _ = service
            throw SealerError.Failed(
                reason: "there is no Keychain on this platform: open with sealing: .sealer(…) or, explicitly, .none")
            #endif
        }
    }
}
