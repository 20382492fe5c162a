import CParted
import Foundation

/// libparted's process-wide state, wrapped once: its exception handler (which would otherwise print
/// to the terminal and ask Fix/Ignore/Cancel questions) and a lock, because its device cache and
/// handler are globals that are not safe to use from two threads.
enum PartedLibrary {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var messages: [Message] = []

    struct Message {
        var text: String
        /// An error, fatal error or bug report, as opposed to a warning or information.
        var isError: Bool
    }

    /// Runs `body` with the quiet handler installed; returns its result and every message libparted
    /// raised meanwhile. Each question is answered Ignore where offered (we only read: nothing is
    /// committed through libparted), Cancel otherwise.
    static func withQuietHandler<T>(_ body: () throws -> T) rethrows -> (T, [Message]) {
        lock.lock()
        defer { lock.unlock() }
        messages = []
        ped_exception_set_handler { exception in
            guard let exception else { return PED_EXCEPTION_UNHANDLED }
            let text = exception.pointee.message.map { String(cString: $0) } ?? "libparted exception"
            PartedLibrary.messages.append(Message(text: text, isError: exception.pointee.type.rawValue >= PED_EXCEPTION_ERROR.rawValue))
            let offered = exception.pointee.options.rawValue
            if offered & PED_EXCEPTION_IGNORE.rawValue != 0 { return PED_EXCEPTION_IGNORE }
            if offered & PED_EXCEPTION_CANCEL.rawValue != 0 { return PED_EXCEPTION_CANCEL }
            return PED_EXCEPTION_UNHANDLED
        }
        defer { ped_exception_set_handler(nil) }
        let result = try body()
        return (result, messages)
    }
}
