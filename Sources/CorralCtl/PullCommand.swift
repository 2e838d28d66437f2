import AdminAPI
import ArgumentParser
import CRIAPI
import GRPCCore

/// `corralctl pull REF`: the image pulled through corrald with each layer's bytes shown as they
/// arrive, then the image id, as `crictl pull` prints it.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pull", abstract: "Pull an image through corrald.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The image reference, e.g. docker.io/library/busybox:latest.")
    var reference: String

    @Option(help: "Registry credentials, USER:PASSWORD.")
    var creds: String?

    @Option(help: "Seconds to wait for the pull (0: as long as it takes).")
    var timeout: Double = 0

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    func validate() throws {
        if let creds, !creds.contains(":") { throw ValidationError("--creds must be USER:PASSWORD") }
    }

    func run() async throws {
        let request = Runtime_V1_PullImageRequest.with {
            $0.image.image = reference
            if let creds, let colon = creds.firstIndex(of: ":") {
                $0.auth.username = String(creds[..<colon])
                $0.auth.password = String(creds[creds.index(after: colon)...])
            }
        }
        let connection = try CRIConnection(global.daemon, seconds: timeout)
        let progress = Corral_Admin_V1_PullRequest.with {
            $0.reference = reference
            $0.username = request.auth.username
            $0.password = request.auth.password
        }
        let response = try await connection.run { cri in
            do {
                return try await Self.pullShowingProgress(progress, cri)
            } catch let error as RPCError where error.code == .unimplemented {
                // A corrald without the admin pull: the CRI's PullImage, which reports nothing
                // until the image is in, under an elapsed-time spinner.
                return try await Spinner.whileRunning("pulling \(reference)") {
                    try await cri.images.pullImage(request, options: cri.options)
                }
            }
        }
        switch output {
        case .json: try JSONOutput.print(response)
        case .table: print("Image is up to date for \(response.imageRef)")
        }
    }

    /// corrald's admin pull, drawing its progress; answers as the CRI's PullImage would.
    static func pullShowingProgress(_ request: Corral_Admin_V1_PullRequest, _ cri: CRI) async throws -> Runtime_V1_PullImageResponse {
        try await cri.admin.pullImage(request, options: cri.options) { response in
            var view = PullProgressView()
            var imageID = ""
            for try await message in response.messages {
                view.show(message.layers)
                if !message.imageID.isEmpty { imageID = message.imageID }
            }
            return .with { $0.imageRef = imageID }
        }
    }
}
