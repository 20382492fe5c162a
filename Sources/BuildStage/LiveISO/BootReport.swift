/// The kernel and initrd as a build reports them: the names they were found under in the image,
/// and where they are on this machine only while that path means something. For an unpacked
/// image the root was in a scratch directory removed with the build, so `kernel` and `initrd` are
/// nil, printed as JSON null (the keys stay the same for every source).
public struct BootReport: Sendable, Equatable, Codable {
    public var kernel: String?
    public var initrd: String?
    public var kernelInImage: String
    public var initrdInImage: String

    init(_ boot: BootFiles) {
        self.init(kernel: boot.kernel, initrd: boot.initrd, kernelInImage: boot.kernelInImage, initrdInImage: boot.initrdInImage)
    }

    public init(kernel: String?, initrd: String?, kernelInImage: String, initrdInImage: String) {
        self.kernel = kernel
        self.initrd = initrd
        self.kernelInImage = kernelInImage
        self.initrdInImage = initrdInImage
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kernel, forKey: .kernel)
        try container.encode(initrd, forKey: .initrd)
        try container.encode(kernelInImage, forKey: .kernelInImage)
        try container.encode(initrdInImage, forKey: .initrdInImage)
    }
}
