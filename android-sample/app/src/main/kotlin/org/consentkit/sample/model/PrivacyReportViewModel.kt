// The privacy report: per feature uses, time in use, last use and refusals over 7 days, and the audit log.
package org.consentkit.sample.model

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import org.consentkit.AuditFilter
import org.consentkit.ConsentStore
import org.consentkit.Feature
import java.time.Instant

data class ReportRow(
    val feature: Feature,
    val title: String,
    val uses: Int,
    val timeInUse: String,
    val lastUse: String?,
    val refused: Int,
    /** Uses that found the feature not yet asked: each was the moment to ask. */
    val toAsk: Int,
)

data class LogRow(val seq: Long, val time: String, val text: String)

/** One use on the timeline: where it starts and ends along its axis, from 0 to 1. */
data class TimelineBar(val feature: Feature, val start: Float, val end: Float)

data class PrivacyReportUiState(
    val rows: List<ReportRow> = emptyList(),
    val log: List<LogRow> = emptyList(),
    val timeline: List<TimelineBar> = emptyList(),
    /** The timeline's axis: from the window's start, or the oldest record when the history is younger. */
    val timelineFrom: String = "",
    val timelineTo: String = "",
)

class PrivacyReportViewModel(
    private val store: ConsentStore,
    private val sharer: Sharer,
    private val now: () -> Long = System::currentTimeMillis,
) {
    private val mutableState = MutableStateFlow(PrivacyReportUiState())
    val state: StateFlow<PrivacyReportUiState> = mutableState.asStateFlow()

    init {
        refresh()
    }

    fun refresh() {
        val until = now()
        val report = store.privacyReport(until - WEEK_MS, until + 1)
        val rows = report.features.map { f ->
            ReportRow(
                feature = f.feature,
                title = Texts.title(f.feature),
                uses = f.uses.toInt(),
                timeInUse = formatDuration(f.timeInUseMs.toLong()),
                lastUse = f.lastUseMs?.let { Instant.ofEpochMilli(it).toString() },
                refused = f.refused.toInt(),
                toAsk = f.neededConsent.toInt(),
            )
        }
        val log = store.auditLog(AuditFilter(limit = LOG_LIMIT)).map { e ->
            val what = listOfNotNull(
                e.kind.name.lowercase().replace('_', ' '),
                e.feature?.let(Texts::title),
                e.purpose,
                e.endReason?.let { "ended: " + it.name.lowercase().replace('_', ' ') },
                e.refusal?.let { "refused: " + it.name.lowercase().replace('_', ' ') },
            ).joinToString(" · ")
            LogRow(e.seq.toLong(), Instant.ofEpochMilli(e.timeMs).toString(), what)
        }
        // The axis starts at the first use when the uses begin later than the window, so a
        // young history is not a sliver at the end.
        val since = until - WEEK_MS
        val from = (report.intervals.minOfOrNull { it.beginMs } ?: since).coerceIn(since, until)
        val span = (until - from).coerceAtLeast(1).toFloat()
        val position = { ms: Long -> ((ms.coerceIn(since, until) - from) / span).coerceIn(0f, 1f) }
        // A session still open runs to the end of the window.
        val timeline = report.intervals.map { TimelineBar(it.feature, position(it.beginMs), position(it.endMs ?: until)) }
        mutableState.value = PrivacyReportUiState(
            rows, log, timeline,
            timelineFrom = axisLabel(from, until - from), timelineTo = axisLabel(until, until - from),
        )
    }

    private fun axisLabel(ms: Long, spanMs: Long): String {
        val text = Instant.ofEpochMilli(ms).toString() // 2026-11-23T07:44:03.162Z
        return when {
            spanMs > 2 * 86_400_000L -> text.substring(5, 16).replace('T', ' ')
            spanMs < 60_000L && text.length >= 23 -> text.substring(11, 23) // to the millisecond
            else -> text.substring(11, 19)
        }
    }

    /** Use intervals in the shape of Apple's App Privacy Report, for the share sheet. */
    fun exportAccessReport() =
        sharer.share("app-privacy-report.ndjson", "application/x-ndjson", store.exportAccessNdjson())

    companion object {
        const val WEEK_MS = 7L * 24 * 60 * 60 * 1000
        private val LOG_LIMIT = 200u

        fun formatDuration(ms: Long): String {
            val seconds = ms / 1000
            return if (seconds < 60) "${seconds}s" else "${seconds / 60}m ${seconds % 60}s"
        }
    }
}
