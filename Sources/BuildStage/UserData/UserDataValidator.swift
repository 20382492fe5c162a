// CONTRACT STUB (lead): the user-data helper implements this; `build plan` and `inject` both call it.
import Foundation

public struct UserDataIssue: Sendable, Codable, Equatable {
    public enum Severity: String, Sendable, Codable { case error, warning }
    public var severity: Severity
    public var line: Int?
    public var column: Int?
    public var message: String        // never contains a secret value
}

public struct UserDataReport: Sendable, Codable {
    public var file: String
    public var issues: [UserDataIssue]
    public var isValid: Bool { !issues.contains { $0.severity == .error } }
}

public enum UserDataValidator {
    public static func validate(_ data: Data, file: String) -> UserDataReport {
        UserDataReport(file: file, issues: [])
    }
}
