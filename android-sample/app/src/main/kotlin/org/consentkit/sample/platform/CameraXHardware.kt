// CameraHardware over CameraX: photos and videos into the app's own files.
// (Not compiled on these machines.)
package org.consentkit.sample.platform

import android.annotation.SuppressLint
import android.content.Context
import android.view.Surface
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageCapture
import androidx.camera.core.ImageCaptureException
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

class CameraXHardware(private val context: Context, owner: LifecycleOwner) : CameraHardware {
    private val imageCapture = ImageCapture.Builder().build()
    private val videoCapture = VideoCapture.withOutput(Recorder.Builder().build())
    private var recording: Recording? = null

    init {
        val future = ProcessCameraProvider.getInstance(context)
        future.addListener({
            future.get().bindToLifecycle(owner, CameraSelector.DEFAULT_BACK_CAMERA, imageCapture, videoCapture)
        }, ContextCompat.getMainExecutor(context))
    }

    override fun capturePhoto(orientation: Orientation) {
        imageCapture.targetRotation = if (orientation == Orientation.LANDSCAPE) Surface.ROTATION_90 else Surface.ROTATION_0
        val file = File(context.filesDir, "photo-${System.currentTimeMillis()}.jpg")
        imageCapture.takePicture(
            ImageCapture.OutputFileOptions.Builder(file).build(),
            ContextCompat.getMainExecutor(context),
            object : ImageCapture.OnImageSavedCallback {
                override fun onImageSaved(output: ImageCapture.OutputFileResults) {}
                override fun onError(exception: ImageCaptureException) {}
            },
        )
    }

    @SuppressLint("MissingPermission") // only called inside a granted microphone session
    override fun startRecording(withAudio: Boolean) {
        val file = File(context.filesDir, "video-${System.currentTimeMillis()}.mp4")
        val pending = videoCapture.output.prepareRecording(context, FileOutputOptions.Builder(file).build())
        recording = (if (withAudio) pending.withAudioEnabled() else pending).start(ContextCompat.getMainExecutor(context)) {}
    }

    override fun stopRecording() {
        recording?.stop()
        recording = null
    }
}
