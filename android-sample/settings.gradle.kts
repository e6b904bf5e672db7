// The camera sample app and the consentkit Android library module it depends on.
pluginManagement {
    repositories { google(); mavenCentral(); gradlePluginPortal() }
}
dependencyResolutionManagement {
    repositories { google(); mavenCentral() }
}
rootProject.name = "consentkit-camera-sample"
include(":app", ":consentkit")
project(":consentkit").projectDir = file("../bindings/kotlin/android")
