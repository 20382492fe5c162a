extension FlashLog.Contents {
    /// The images the log has written successfully, latest first, each once: what `check` hashes a
    /// stick's image region against.
    public var knownImages: [KnownImage] {
        var seen = Set<KnownImage>()
        return records.reversed().filter(\.succeeded).compactMap { record in
            guard let image = KnownImage(record) else { return nil }
            return seen.insert(image).inserted ? image : nil
        }
    }

    /// The latest successful record that `matches`, preferring one about this stick: the same
    /// serial, or, when neither has one (a loop device, an image file), the same path.
    public func latest(serial: String?, device: String, where matches: (FlashRecord) -> Bool) -> FlashRecord? {
        let found = records.reversed().filter { $0.succeeded && matches($0) }
        return found.first { FlashLog.sameStick($0, serial: serial, device: device) } ?? found.first
    }

    /// The log's latest write of an image to this stick, when it took no digest to name the image
    /// by: a sparse image written by its data extents alone (no bmap, no checksum) is never read
    /// whole, so nothing hashed all of it. nil when the latest such write recorded one.
    public func undigestedWrite(serial: String?, device: String) -> FlashRecord? {
        let latest = records.last { $0.succeeded && $0.imageSize != nil && FlashLog.sameStick($0, serial: serial, device: device) }
        return latest.flatMap { KnownImage($0) == nil ? $0 : nil }
    }
}

extension FlashLog {
    /// Is `record` about the stick with `serial` at `device`?
    public static func sameStick(_ record: FlashRecord, serial: String?, device: String) -> Bool {
        if let serial, !serial.isEmpty { return record.serial == serial }
        return (record.serial ?? "").isEmpty && record.device == device
    }
}
