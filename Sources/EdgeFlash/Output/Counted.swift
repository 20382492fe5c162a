import EdgeCore

/// "1 range", "3 ranges": a count and its noun, plural when it is not one.
func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// What `verify --against` and `check --image` compared of a device: "its first 8.4 MB", or, through
/// a bmap, "the 2 ranges disk.img.bmap maps in its first 8.4 MB (1.3 MB)", with `note` saying why
/// the rest was not compared (empty for a whole comparison).
struct ComparedPart {
    var subject: String
    var note: String

    init(imageSize: Int64, bmap: String?, ranges: Int, bytes: Int64) {
        guard let bmap else {
            subject = "its first \(ByteCount.human(imageSize))"
            note = ""
            return
        }
        subject = "the \(counted(ranges, "range")) \(bmap) maps in its first \(ByteCount.human(imageSize)) (\(ByteCount.human(bytes)))"
        note = "; the blocks it leaves unmapped were not compared: a write through it leaves them as they were"
    }
}
