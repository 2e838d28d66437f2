import CCorral

enum EventFD {
    /// A close-on-exec, non-blocking eventfd starting at zero; -1 with errno set on failure.
    static func make() -> Int32 {
        ccorral_eventfd()
    }
}
