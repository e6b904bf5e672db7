// Sealing from Swift: an HMAC-SHA256 sealer with its key in memory (CryptoKit on Apple
// platforms, OpenSSL's libcrypto on Linux) and, on iOS, one whose key and anchor live in the
// Keychain, this device only.
import Foundation
#if canImport(CryptoKit)
import CryptoKit
#else
import COpenSSL
#endif
#if canImport(Security)
import Security
#endif

/// HMAC-SHA256 of `message` under `key`.
func hmacSHA256(key: Data, message: Data) -> Data {
    #if canImport(CryptoKit)
    let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
    return Data(mac)
    #else
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    key.withUnsafeBytes { keyBytes in
        message.withUnsafeBytes { messageBytes in
            _ = HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(key.count),
                     messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                     &out, &length)
        }
    }
    return Data(out.prefix(Int(length)))
    #endif
}

/// A sealer whose key is held in memory; its anchor is kept in `anchorURL` (outside the
/// store's directory), or in memory when nil. Whoever can read the process can read the key:
/// on iOS prefer `KeychainSealer`.
public final class InMemorySealer: InstallBoundSealer, @unchecked Sendable {
    private let key: Data
    private let anchorURL: URL?
    private let lock = NSLock()
    private var anchor: Data?

    public init(key: Data, anchorURL: URL? = nil) throws {
        guard key.count >= 16 else {
            throw SealerError.Failed(reason: "a sealing key has at least 16 bytes")
        }
        self.key = key
        self.anchorURL = anchorURL
    }

    public func mac(message: Data) throws -> Data {
        hmacSHA256(key: key, message: message)
    }

    public func loadAnchor() throws -> Data? {
        guard let url = anchorURL else {
            lock.lock()
            defer { lock.unlock() }
            return anchor
        }
        return FileManager.default.fileExists(atPath: url.path) ? try Data(contentsOf: url) : nil
    }

    public func storeAnchor(anchor: Data) throws {
        guard let url = anchorURL else {
            lock.lock()
            defer { lock.unlock() }
            self.anchor = anchor
            return
        }
        try anchor.write(to: url, options: .atomic)
    }

    /// Forgets the anchor (the key is the caller's).
    public func forget() throws {
        guard let url = anchorURL else {
            lock.lock()
            defer { lock.unlock() }
            anchor = nil
            return
        }
        if FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.removeItem(at: url)
        }
    }
}

#if canImport(Security) && canImport(CryptoKit)
/// The iOS sealer: a 256-bit key generated once and kept in the Keychain with
/// `kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly` (never in backups, never on another
/// device), and the anchor beside it in the Keychain, so restoring an old copy of the app's
/// files cannot restore it. Keychain keys do not evolve: the core derives a key per epoch and
/// forgets it when the epoch ends (README, "What the log proves").
public final class KeychainSealer: InstallBoundSealer, @unchecked Sendable {
    private let service: String

    public init(service: String = "org.consentkit.seal") {
        self.service = service
    }

    private func item(_ account: String) -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword,
         kSecAttrService as String: service,
         kSecAttrAccount as String: account]
    }

    private func read(_ account: String) throws -> Data? {
        var query = item(account)
        query[kSecReturnData as String] = true
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess else { throw SealerError.Failed(reason: "Keychain read: \(status)") }
        return result as? Data
    }

    private func write(_ account: String, _ data: Data) throws {
        SecItemDelete(item(account) as CFDictionary)
        var add = item(account)
        add[kSecValueData as String] = data
        add[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(add as CFDictionary, nil)
        guard status == errSecSuccess else { throw SealerError.Failed(reason: "Keychain write: \(status)") }
    }

    private func key() throws -> Data {
        if let key = try read("key") { return key }
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        try write("key", key)
        return key
    }

    public func mac(message: Data) throws -> Data { hmacSHA256(key: try key(), message: message) }
    public func loadAnchor() throws -> Data? { try read("anchor") }
    public func storeAnchor(anchor: Data) throws { try write("anchor", anchor) }

    /// Deletes the key and the anchor: a new key is generated when next needed.
    public func forget() throws {
        for account in ["key", "anchor"] {
            let status = SecItemDelete(item(account) as CFDictionary)
            guard status == errSecSuccess || status == errSecItemNotFound else {
                throw SealerError.Failed(reason: "Keychain delete: \(status)")
            }
        }
    }
}
#endif

extension ConsentStore {
    /// Opens the durable store in `directory` with its log sealed by `sealer`: a seal at
    /// every checkpoint and on close, checked on open, so edits, cuts and restored old copies
    /// are kept aside as damage with everything off.
    public static func openSealed(directory: URL, config: ConsentConfig, sealer: Sealer) throws -> ConsentStore {
        try openSealed(dir: directory.path, config: config, sealer: sealer)
    }
}
