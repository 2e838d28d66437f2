import CorralSpec
import CRIAPI
import OCISpec
import Testing
import TestSupport

@Suite("Devices from the request")
struct DeviceTests {
    static func device(_ container: String, _ host: String, _ permissions: String = "rwm") -> Runtime_V1_Device {
        var device = Runtime_V1_Device()
        device.containerPath = container
        device.hostPath = host
        device.permissions = permissions
        return device
    }

    @Test func characterDeviceAllowedAfterDenyAll() throws {
        let result = try spec(makeInput { $0.devices = [Self.device("/dev/mynull", "/dev/null", "rw")] })
        let node = try #require(result.linux?.devices?.first)
        #expect(node.path == "/dev/mynull")
        #expect(node.type == "c")
        #expect(node.major == 1 && node.minor == 3)
        #expect(node.fileMode == 0o666)
        #expect(node.uid == 0 && node.gid == 0)
        #expect(result.linux?.resources?.devices == [
            LinuxDeviceCgroup(allow: false, access: "rwm"),
            LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rw"),
        ])
    }

    @Test func containerPathDefaultsToHostPathAndPermissionsToRWM() throws {
        let result = try spec(makeInput { $0.devices = [Self.device("", "/dev/zero", "")] })
        #expect(result.linux?.devices?.map(\.path) == ["/dev/zero"])
        #expect(result.linux?.resources?.devices?.last?.access == "rwm")
    }

    @Test func missingDeviceIsNotFound() {
        let input = makeInput { $0.devices = [Self.device("/dev/x", "/dev/no-such-device")] }
        #expect(specError { try makeContainerSpec(input) }
                == .notFound("devices[0].host_path \"/dev/no-such-device\": no such file or directory"))
    }

    @Test func regularFileIsNotADevice() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("plain", "x")
        let input = makeInput { $0.devices = [Self.device("/dev/x", file)] }
        #expect(specError { try makeContainerSpec(input) }
                == .invalidArgument("devices[0].host_path \"\(file)\": not a device node"))
    }

    @Test func badPermissionsAreRefused() {
        let input = makeInput { $0.devices = [Self.device("/dev/x", "/dev/null", "rwx")] }
        #expect(specError { try makeContainerSpec(input) }
                == .invalidArgument("devices[0].permissions \"rwx\": only r, w and m are allowed"))
    }
}
