import ArgumentParser
import CRIAPI

/// `corralctl images`: the images in corrald's store, as `crictl images` lists them. A command
/// group (listing by default) so `images import` / `images export` can join it.
struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "List images (the default), or work on them.",
        subcommands: [List.self, Import.self, Export.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List images.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var cri: CRIOptions

        @Argument(help: "Only this image (a name, name:tag, or id).")
        var image: String?

        @Flag(name: .shortAndLong, help: "Only print image ids.")
        var quiet = false

        @Flag(help: "Show whole image ids.")
        var noTrunc = false

        @Option(help: "Output format: table or json.")
        var output: OutputFormat = .table

        func run() async throws {
            let request = Runtime_V1_ListImagesRequest.with {
                if let image { $0.filter.image.image = image }
            }
            let images = try await CRIConnection(global.daemon, cri).run { cri in
                try await cri.images.listImages(request, options: cri.options).images
            }
            if quiet {
                images.forEach { print($0.id) }
            } else if output == .json {
                try print(JSONOutput.text(["images": images.map { try JSONOutput.object($0, filling: [(["size"], 0)]) }]))
            } else {
                print(ImageRow.table(images.flatMap(ImageRow.rows), wholeIDs: noTrunc))
            }
        }
    }
}

/// One line of `corralctl images`: an image has one per tag.
struct ImageRow: Equatable {
    var repository: String
    var tag: String
    var id: String
    var size: UInt64

    /// One row per repo tag; an untagged image shows under its digest's repository, tag <none>.
    static func rows(id: String, repoTags: [String], repoDigests: [String], size: UInt64) -> [ImageRow] {
        guard !repoTags.isEmpty else {
            let repository = repoDigests.first.map(ImageName.repository(ofDigest:)) ?? "<none>"
            return [ImageRow(repository: repository, tag: "<none>", id: id, size: size)]
        }
        return repoTags.map {
            let (repository, tag) = ImageName.split($0)
            return ImageRow(repository: repository, tag: tag, id: id, size: size)
        }
    }

    static func rows(_ image: Runtime_V1_Image) -> [ImageRow] {
        rows(id: image.id, repoTags: image.repoTags, repoDigests: image.repoDigests, size: image.size)
    }

    static func table(_ rows: [ImageRow], wholeIDs: Bool = false) -> String {
        Table.columns([["IMAGE", "TAG", "IMAGE ID", "SIZE"]] + rows.map {
            [$0.repository, $0.tag, ShortID.truncate($0.id, keepWhole: wholeIDs), Human.size($0.size)]
        })
    }
}
