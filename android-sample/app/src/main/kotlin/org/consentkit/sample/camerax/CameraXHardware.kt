// CameraHardware over CameraX: photos and videos into the app's own files. The camera is bound
// inside a use session only — for one photo, or from the start of a recording to its stop — and
// unbound right after, never at activity start. Not compiled on these machines: CameraX is not
// on Maven Central (see android-sample/README.md).
package org.consentkit.sample.camerax

import android.annotation.SuppressLint
import android.content.Context
import android.view.Surface
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageCapture
import androidx.camera.core.ImageCaptureException
import androidx.camera.core.UseCase
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.video.FileOutputOptions
import androidx.camera.video.Recorder
import androidx.camera.video.Recording
import androidx.camera.video.VideoCapture
import androidx.core.content.ContextCompat
import androidx.lifecycle.LifecycleOwner
import org.consentkit.sample.model.CameraHardware
import org.consentkit.sample.model.Orientation
import java.io.File

class CameraXHardware(private val context: Context, private val owner: LifecycleOwner) : CameraHardware {
    private val mainExecutor = ContextCompat.getMainExecutor(context)
    private var recording: Recording? = null
    private var videoCapture: VideoCapture<Recorder>? = null

    /** Binds [useCase] to the back camera, runs [block], and leaves unbinding to the caller. */
    private fun bound(useCase: UseCase, block: (ProcessCameraProvider) -> Unit) {
        val future = ProcessCameraProvider.getInstance(context)
        future.addListener({
            val provider = future.get()
            provider.bindToLifecycle(owner, CameraSelector.DEFAULT_BACK_CAMERA, useCase)
            block(provider)
        }, mainExecutor)
    }

    override fun capturePhoto(orientation: Orientation) {
        val rotation = if (orientation == Orientation.LANDSCAPE) Surface.ROTATION_90 else Surface.ROTATION_0
        val imageCapture = ImageCapture.Builder().setTargetRotation(rotation).build()
        val file = File(context.filesDir, "photo-${System.currentTimeMillis()}.jpg")
        bound(imageCapture) { provider ->
            imageCapture.takePicture(
                ImageCapture.OutputFileOptions.Builder(file).build(),
                mainExecutor,
                object : ImageCapture.OnImageSavedCallback {
                    override fun onImageSaved(output: ImageCapture.OutputFileResults) = provider.unbind(imageCapture)
                    override fun onError(exception: ImageCaptureException) = provider.unbind(imageCapture)
                },
            )
        }
    }

    @SuppressLint("MissingPermission") // audio only inside a granted microphone session
    override fun startRecording(withAudio: Boolean) {
        val capture = VideoCapture.withOutput(Recorder.Builder().build())
        videoCapture = capture
        val file = File(context.filesDir, "video-${System.currentTimeMillis()}.mp4")
        bound(capture) {
            if (videoCapture !== capture) return@bound it.unbind(capture) // stopped before the camera came up
            val pending = capture.output.prepareRecording(context, FileOutputOptions.Builder(file).build())
            recording = (if (withAudio) pending.withAudioEnabled() else pending).start(mainExecutor) {}
        }
    }

    override fun stopRecording() {
        recording?.stop()
        recording = null
        val capture = videoCapture ?: return
        videoCapture = null
        ProcessCameraProvider.getInstance(context).let { future ->
            future.addListener({ future.get().unbind(capture) }, mainExecutor)
        }
    }
}
