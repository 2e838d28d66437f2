import CorralSpec
import CRIAPI
import OCISpec
import Testing

@Suite("User: security context and image USER against the image's passwd and group")
struct UserTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var imageUser: String?
        var runAsUser: Int64?
        var runAsUsername: String = ""
        var runAsGroup: Int64?
        var supplemental: [Int64] = []
        var strict = false
        var expected: User
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "nothing: root with root's groups", expected: User(uid: 0, gid: 0, additionalGids: [0, 10])),
        Case(name: "image user by name", imageUser: "app", expected: User(uid: 1000, gid: 1000, additionalGids: [29, 50, 1000])),
        Case(name: "image uid with passwd entry", imageUser: "33", expected: User(uid: 33, gid: 33, additionalGids: [33, 50])),
        Case(name: "image uid without passwd entry", imageUser: "4242", expected: User(uid: 4242, gid: 0, additionalGids: [0])),
        Case(name: "image name:group", imageUser: "app:staff", expected: User(uid: 1000, gid: 50, additionalGids: [29, 50])),
        Case(name: "image uid:gid", imageUser: "5000:6000", expected: User(uid: 5000, gid: 6000, additionalGids: [6000])),
        Case(name: "image name:gid", imageUser: "www-data:7", expected: User(uid: 33, gid: 7, additionalGids: [7, 50])),
        Case(name: "run_as_user beats image", imageUser: "app", runAsUser: 33,
             expected: User(uid: 33, gid: 33, additionalGids: [33, 50])),
        Case(name: "run_as_user with group", runAsUser: 1000, runAsGroup: 3000,
             expected: User(uid: 1000, gid: 3000, additionalGids: [29, 50, 3000])),
        Case(name: "run_as_username", runAsUsername: "www-data", expected: User(uid: 33, gid: 33, additionalGids: [33, 50])),
        Case(name: "run_as_username beats run_as_user", runAsUser: 0, runAsUsername: "app",
             expected: User(uid: 1000, gid: 1000, additionalGids: [29, 50, 1000])),
        Case(name: "supplemental groups merged and sorted", runAsUser: 1000, supplemental: [2000, 29, 5],
             expected: User(uid: 1000, gid: 1000, additionalGids: [5, 29, 50, 1000, 2000])),
        // Strict: the image's /etc/group lists app in 29 and 50; neither is added.
        Case(name: "strict policy leaves the image's groups out", runAsUser: 1000, supplemental: [2000], strict: true,
             expected: User(uid: 1000, gid: 1000, additionalGids: [1000, 2000])),
        Case(name: "strict policy by name", imageUser: "app", strict: true,
             expected: User(uid: 1000, gid: 1000, additionalGids: [1000])),
    ]

    @Test(arguments: cases)
    func resolves(_ test: Case) throws {
        let input = makeInput(image: ImageExecutionConfig(user: test.imageUser, cmd: ["x"])) {
            if let uid = test.runAsUser { $0.linux.securityContext.runAsUser = int64Value(uid) }
            if let gid = test.runAsGroup { $0.linux.securityContext.runAsGroup = int64Value(gid) }
            $0.linux.securityContext.runAsUsername = test.runAsUsername
            $0.linux.securityContext.supplementalGroups = test.supplemental
            $0.linux.securityContext.supplementalGroupsPolicy = test.strict ? .strict : .merge
        }
        #expect(try spec(input).process?.user == test.expected)
    }

    @Test func imageWithoutAccountFiles() throws {
        let input = makeInput(image: ImageExecutionConfig(user: "1234", cmd: ["x"]), imageFiles: [:])
        #expect(try spec(input).process?.user == User(uid: 1234, gid: 0, additionalGids: [0]))
    }

    @Test func unknownImageUserIsNamed() {
        let input = makeInput(image: ImageExecutionConfig(user: "nobody", cmd: ["x"]))
        let error = specError { try makeContainerSpec(input) }
        #expect(error == .invalidArgument("image user \"nobody\": no such user in the image's /etc/passwd"))
    }

    @Test func unknownRunAsUsernameIsNamed() {
        let input = makeInput { $0.linux.securityContext.runAsUsername = "ghost" }
        let error = specError { try makeContainerSpec(input) }
        #expect(error == .invalidArgument("linux.security_context.run_as_username \"ghost\": no such user in the image's /etc/passwd"))
    }

    @Test func unknownImageGroupIsNamed() {
        let input = makeInput(image: ImageExecutionConfig(user: "app:nogroup", cmd: ["x"]))
        let error = specError { try makeContainerSpec(input) }
        #expect(error == .invalidArgument("image user \"nogroup\": no such group in the image's /etc/group"))
    }

    @Test func groupWithoutUserIsRefused() {
        let input = makeInput { $0.linux.securityContext.runAsGroup = int64Value(10) }
        let error = specError { try makeContainerSpec(input) }
        #expect(error?.message.contains("run_as_group") == true)
    }

    @Test(arguments: ["a:b:c", ":5", "app:"])
    func malformedImageUser(_ user: String) {
        let input = makeInput(image: ImageExecutionConfig(user: user, cmd: ["x"]))
        let error = specError { try makeContainerSpec(input) }
        #expect(error == .invalidArgument("image user \"\(user)\": expected user, uid, user:group or uid:gid"))
    }

    @Test func uidBeyondRuncsRange() {
        let input = makeInput(image: ImageExecutionConfig(user: "4294967295", cmd: ["x"]))
        #expect(specError { try makeContainerSpec(input) } == .invalidArgument("image user \"4294967295\": ID out of range"))
    }
}
