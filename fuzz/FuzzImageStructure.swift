// libFuzzer target for the ISOVerify parsers: the input is an image's leading bytes, read through
// ImageStructure.read's byte-source hook (descriptors, El Torito, MBR, GPT, APM, FAT, verdict).
// Built and run by fuzz/run.sh; it must never crash, hang or allocate without bound.

import ISOVerify

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImageStructure(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
    let structure = try? ImageStructure.read(size: Int64(bytes.count), path: "fuzz") { offset, count in
        guard offset >= 0, offset < Int64(bytes.count), count > 0 else { return [] }
        return Array(bytes[Int(offset)..<min(Int(offset) + count, bytes.count)])
    }
    if let structure { _ = structure.verdict.summary }
    if bytes.count >= 512 { _ = try? ImplantedMD5.parse(applicationUse: Array(bytes.prefix(512))) }
    return 0
}
