import Foundation

/// The verdict on a file: kept apart from the derivation, so the fuzz target builds without the
/// file layer.
extension BootVerdict {
    /// Reads only the structures needed (system area, descriptors, boot catalog) and returns the
    /// verdict. For `write`: `if let refusal = try BootVerdict.assess(image:).refusalForRawWrite(...)`.
    public static func assess(image: URL) throws -> BootVerdict {
        try ImageStructure.read(image: image).verdict
    }
}
