import ArgumentParser
import CRIAPI

/// `corralctl pull REF`: PullImage, then the image id, as `crictl pull` prints it.
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
        // The CRI's PullImage is one unary call that reports nothing until the image is in, so
        // there is no progress to draw: an elapsed-time spinner shows the pull is alive.
        let response = try await Spinner.whileRunning("pulling \(reference)") {
            try await connection.run { cri in try await cri.images.pullImage(request, options: cri.options) }
        }
        switch output {
        case .json: try JSONOutput.print(response)
        case .table: print("Image is up to date for \(response.imageRef)")
        }
    }
}
