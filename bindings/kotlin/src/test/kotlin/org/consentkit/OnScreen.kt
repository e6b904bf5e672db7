// Tests open stores as an app's first activity does: it says it is on screen, since a store is
// in the background until told (a process may start for a push or a widget).
package org.consentkit

fun ConsentStore.onScreen(): ConsentStore = apply { setForeground(true) }
