// Tests open stores as an app's first scene does: it says it is on screen, since a store is in
// the background until told (a process may start for a notification or a widget).
import ConsentKit

extension ConsentStore {
    @discardableResult
    func onScreen() throws -> ConsentStore {
        try setForeground(foreground: true)
        return self
    }
}
