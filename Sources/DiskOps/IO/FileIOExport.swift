/// DiskOps' public API speaks FileIO's types (a write takes a `CancellationFlag`, fails with a
/// `DeviceIOError`): whoever imports DiskOps gets them without a second import.
@_exported import FileIO
