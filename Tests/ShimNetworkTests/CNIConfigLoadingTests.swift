import CorralJSON
import CorralSystem
import ShimNetwork
import Testing
import TestSupport

@Suite("CNI configuration loading")
struct CNIConfigLoadingTests {
    private let conflist = #"{"cniVersion":"1.0.0","name":"pods","plugins":[{"type":"bridge","bridge":"cni0"},{"type":"portmap","capabilities":{"portMappings":true,"dns":false}}]}"#

    @Test func picksTheFirstFileByNameAmongConfConflistAndJSON() throws {
        let directory = try TemporaryDirectory("cni-conf")
        defer { directory.remove() }
        try directory.write("20-second.conflist", conflist.replacingOccurrences("pods", "second"))
        try directory.write("10-first.conflist", conflist)
        try directory.write("05-ignored.txt", "not a config")
        try directory.write("99-last.conf", #"{"cniVersion":"0.4.0","name":"last","type":"bridge"}"#)
        try FileSystem.makeDirectories(directory.path + "/00-dir.conf")
        let list = try CNINetworkList.load(fromDirectory: directory.path)
        #expect(list.name == "pods")
        #expect(list.cniVersion == "1.0.0")
        #expect(list.disableCheck == false)
        #expect(list.plugins.map(\.type) == ["bridge", "portmap"])
        #expect(list.plugins[1].capabilities == ["portMappings"])
        #expect(list.plugins[0].json["bridge"]?.string == "cni0")
        #expect(list.source == directory.path + "/10-first.conflist")
    }

    @Test func wrapsASinglePluginConfAsAList() throws {
        let directory = try TemporaryDirectory("cni-conf")
        defer { directory.remove() }
        try directory.write("10-one.conf", #"{"cniVersion":"0.3.1","name":"solo","type":"bridge","ipam":{"type":"host-local"}}"#)
        try directory.write("20-two.json", conflist)
        let list = try CNINetworkList.load(fromDirectory: directory.path)
        #expect(list.name == "solo")
        #expect(list.cniVersion == "0.3.1")
        #expect(list.plugins.count == 1)
        #expect(list.plugins[0].type == "bridge")
        #expect(list.plugins[0].json["ipam"]?["type"]?.string == "host-local")
    }

    @Test func readsDisableCheckAsBooleanOrString() throws {
        for (value, expected) in [("true", true), ("\"TRUE\"", true), ("\"false\"", false), ("false", false)] {
            let json = try JSONValue(parsing: #"{"name":"n","disableCheck":\#(value),"plugins":[{"type":"x"}]}"#)
            #expect(try CNINetworkList(json: json).disableCheck == expected)
        }
        let bad = try JSONValue(parsing: #"{"name":"n","disableCheck":"maybe","plugins":[{"type":"x"}]}"#)
        #expect(throws: CNIError.self) { try CNINetworkList(json: bad) }
    }

    @Test func refusesListsWithoutNameOrPluginsOrTypes() throws {
        let cases: [(String, String)] = [
            (#"{"plugins":[{"type":"x"}]}"#, "has no name"),
            (#"{"name":"n"}"#, "has no plugins"),
            (#"{"name":"n","plugins":[]}"#, "has no plugins"),
            (#"{"name":"n","plugins":[{"type":"x"},{"bridge":"b"}]}"#, "plugin 1 of network \"n\""),
            (#"[1]"#, "not an object"),
        ]
        for (text, words) in cases {
            let error = #expect(throws: CNIError.self) { try CNINetworkList(json: JSONValue(parsing: text)) }
            #expect(error?.kind == .configuration)
            #expect(error?.description.contains(words) == true, "\(error?.description ?? "") lacks \(words)")
        }
    }

    @Test func namesTheFileAndOffsetOfBrokenJSON() throws {
        let directory = try TemporaryDirectory("cni-conf")
        defer { directory.remove() }
        try directory.write("10-broken.conflist", #"{"name": "n",, }"#)
        let error = #expect(throws: CNIError.self) { try CNINetworkList.load(fromDirectory: directory.path) }
        #expect(error?.description.contains("10-broken.conflist") == true)
        #expect(error?.description.contains("byte offset 13") == true)
    }

    @Test func saysWhenNoConfigExists() throws {
        let directory = try TemporaryDirectory("cni-conf")
        defer { directory.remove() }
        try directory.write("README", "nothing here")
        let empty = #expect(throws: CNIError.self) { try CNINetworkList.load(fromDirectory: directory.path) }
        #expect(empty?.description == "no network config found in \(directory.path)")
        let missing = #expect(throws: CNIError.self) { try CNINetworkList.load(fromDirectory: directory.path + "/nope") }
        #expect(missing?.kind == .configuration)
    }

    @Test func roundTripsThroughJSONForPersistence() throws {
        let list = try CNINetworkList(json: JSONValue(parsing: conflist))
        let again = try CNINetworkList(json: JSONValue(parsing: list.json.serialized()))
        #expect(again == list)
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
