import AdminAPI
import ArgumentParser
import CorralSystem

/// `corralctl images import FILE` and `corralctl images export REF… FILE`: OCI layout
/// archives for nodes without a registry, moved by corrald itself (corral.admin.v1.Images), so
/// the images are there for kubelet at once. FILE is a path on this node.
extension ImagesCommand {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import the images of an OCI layout archive (docker save, skopeo oci-archive, images export).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The archive (tar, tar.gz or tar.zst) or OCI layout directory.", completion: .file())
        var file: String

        @Option(help: "The name for an image the archive does not name, or names only by tag.")
        var name: String?

        @Option(help: "Seconds to wait (0: as long as it takes).")
        var timeout: Double = 0

        @Option(help: "Output format: table or json.")
        var output: OutputFormat = .table

        func run() async throws {
            let request = Corral_Admin_V1_ImportRequest.with {
                $0.path = FileSystem.absolute(file)
                if let name { $0.defaultName = name }
            }
            let connection = try CRIConnection(global.daemon, seconds: timeout)
            let response = try await Spinner.whileRunning("importing \(file)") {
                try await connection.run { cri in try await cri.admin.importImages(request, options: cri.options) }
            }
            switch output {
            case .json: try JSONOutput.print(response)
            case .table:
                print(ImageRow.table(response.images.flatMap {
                    ImageRow.rows(id: $0.id, repoTags: $0.repoTags, repoDigests: $0.repoDigests, size: $0.size)
                }))
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Write images, with their names, to one OCI layout tar archive.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Images (names or ids), then the archive to write (it must not exist).")
        var arguments: [String] = []

        @Option(help: "Seconds to wait (0: as long as it takes).")
        var timeout: Double = 0

        func validate() throws {
            guard arguments.count >= 2 else { throw ValidationError("name at least one image and the file to write") }
        }

        func run() async throws {
            let file = FileSystem.absolute(arguments.last!)
            let request = Corral_Admin_V1_ExportRequest.with {
                $0.references = Array(arguments.dropLast())
                $0.path = file
            }
            let connection = try CRIConnection(global.daemon, seconds: timeout)
            let response = try await Spinner.whileRunning("exporting to \(file)") {
                try await connection.run { cri in try await cri.admin.exportImages(request, options: cri.options) }
            }
            print("wrote \(file) (\(Human.size(response.size)))")
        }
    }
}
