// The privacy report: per feature uses, time in use and refusals over the last 7 days, a
// timeline of the use sessions, and the audit log.
package org.consentkit.sample.ui.screens

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.unit.dp
import org.consentkit.Feature
import org.consentkit.sample.model.PrivacyReportUiState
import org.consentkit.sample.model.PrivacyReportViewModel
import org.consentkit.sample.model.TimelineBar
import org.consentkit.sample.model.Texts

@Composable
fun ReportRoute(vm: PrivacyReportViewModel) {
    val state by vm.state.collectAsState()
    ReportScreen(state, onExport = vm::exportAccessReport)
}

@Composable
fun ReportScreen(state: PrivacyReportUiState, onExport: () -> Unit) {
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
        Text("Privacy report · last 7 days", style = MaterialTheme.typography.titleLarge)
        state.rows.forEach { row ->
            Text(
                "${row.title}: ${row.uses} uses, ${row.timeInUse}, ${row.refused} refused" +
                    (row.lastUse?.let { ", last $it" } ?: ""),
                style = MaterialTheme.typography.bodyMedium,
            )
        }
        Text("Timeline of uses", style = MaterialTheme.typography.titleMedium)
        Feature.entries.forEach { feature ->
            Row(verticalAlignment = Alignment.CenterVertically) {
                Text(Texts.title(feature), Modifier.width(150.dp), style = MaterialTheme.typography.bodySmall)
                TimelineRow(state.timeline.filter { it.feature == feature }, Modifier.weight(1f))
            }
        }
        Row {
            Spacer(Modifier.width(150.dp))
            Text(state.timelineFrom, style = MaterialTheme.typography.labelSmall)
            Spacer(Modifier.weight(1f))
            Text(state.timelineTo, style = MaterialTheme.typography.labelSmall)
        }
        OutlinedButton(onClick = onExport) { Text("Export App Privacy Report (NDJSON)") }
        state.log.take(12).forEach { entry ->
            Text("#${entry.seq} ${entry.time} ${entry.text}", style = MaterialTheme.typography.bodySmall)
        }
    }
}

/** One feature's uses along the axis: a bar per session, at least 2 px wide. */
@Composable
private fun TimelineRow(bars: List<TimelineBar>, modifier: Modifier) {
    Canvas(modifier.fillMaxWidth().height(18.dp).testTag("timeline")) {
        drawRect(Color(0xFFF1F3F5), size = size)
        bars.forEach { bar ->
            val left = bar.start * size.width
            val width = ((bar.end - bar.start) * size.width).coerceAtLeast(2f)
            drawRect(Color(0xFF2F6FDF), topLeft = Offset(left, 3f), size = Size(width, size.height - 6f))
        }
    }
}
