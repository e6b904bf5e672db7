// The privacy report: per feature uses, time in use, last use and refusals over 7 days, and the audit log.
import ConsentKit
import Foundation
import Observation

public struct ReportRow: Equatable {
    public let feature: Feature
    public let title: String
    public let uses: Int
    public let timeInUse: String
    public let lastUse: Date?
    public let refused: Int
    /// Uses that found the feature not yet asked: each was the moment to ask.
    public let toAsk: Int
}

public struct LogRow: Equatable {
    public let seq: UInt64
    public let time: Date
    public let text: String
}

public struct PrivacyReportState: Equatable {
    public var rows: [ReportRow] = []
    public var log: [LogRow] = []
}

@Observable
public final class PrivacyReportModel: @unchecked Sendable {
    public static let weekMs: Int64 = 7 * 24 * 60 * 60 * 1000

    public private(set) var state = PrivacyReportState()

    private let store: ConsentStore
    private let sharer: Sharer
    private let now: () -> Date

    public init(store: ConsentStore, sharer: Sharer, now: @escaping () -> Date = Date.init) {
        self.store = store
        self.sharer = sharer
        self.now = now
        try? refresh()
    }

    public func refresh() throws {
        let until = Int64(now().timeIntervalSince1970 * 1000)
        let report = try store.privacyReport(sinceMs: until - Self.weekMs, untilMs: until + 1)
        let rows = report.features.map { f in
            ReportRow(feature: f.feature, title: Texts.title(f.feature), uses: Int(f.uses),
                      timeInUse: Self.formatDuration(ms: f.timeInUseMs), lastUse: f.lastUseMs.map(Self.date),
                      refused: Int(f.refused), toAsk: Int(f.neededConsent))
        }
        let log = try store.auditLog(filter: AuditFilter(limit: 200)).map { e in
            let parts = [String(describing: e.kind), e.feature.map(Texts.title), e.purpose,
                         e.endReason.map { "ended: \($0)" }, e.refusal.map { "refused: \($0)" }]
            return LogRow(seq: e.seq, time: Self.date(e.timeMs), text: parts.compactMap { $0 }.joined(separator: " · "))
        }
        state = PrivacyReportState(rows: rows, log: log)
    }

    /// Use intervals in the shape of Apple's App Privacy Report, for the share sheet.
    public func exportAccessReport() throws {
        sharer.share(fileName: "app-privacy-report.ndjson", mimeType: "application/x-ndjson", content: try store.exportAccessNdjson())
    }

    public static func formatDuration(ms: UInt64) -> String {
        let seconds = ms / 1000
        return seconds < 60 ? "\(seconds)s" : "\(seconds / 60)m \(seconds % 60)s"
    }

    private static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }
}
