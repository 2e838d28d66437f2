import CorralJSON
import ShimNetwork
import Testing

@Suite("CNI results")
struct CNIResultTests {
    @Test func readsA1_0Result() throws {
        let result = try CNIResult(parsing: Array("""
            {"cniVersion":"1.0.0","interfaces":[{"name":"cni0","mac":"aa:bb:cc:dd:ee:01"},{"name":"veth1","mac":"aa:bb:cc:dd:ee:02"},
             {"name":"eth0","mac":"aa:bb:cc:dd:ee:03","sandbox":"/run/netns/p"}],
             "ips":[{"interface":2,"address":"10.213.7.2/24","gateway":"10.213.7.1"},{"interface":2,"address":"fd00::2/64"}],
             "routes":[{"dst":"0.0.0.0/0"}],"dns":{}}
            """.utf8))
        #expect(result.cniVersion == "1.0.0")
        #expect(result.ips == [CNIResult.IP(address: "10.213.7.2", prefixLength: 24, gateway: "10.213.7.1", interface: 2),
                               CNIResult.IP(address: "fd00::2", prefixLength: 64, gateway: nil, interface: 2)])
        #expect(result.ips[0].cidr == "10.213.7.2/24")
        #expect(result.ips[1].isIPv6)
        #expect(result.interfaces.map(\.name) == ["cni0", "veth1", "eth0"])
        #expect(result.interfaces[2] == CNIResult.Interface(name: "eth0", mac: "aa:bb:cc:dd:ee:03", sandbox: "/run/netns/p"))
        #expect(result.interfaces[0].sandbox == nil)
        #expect(result.podIPs.map(\.address) == ["10.213.7.2", "fd00::2"])
    }

    @Test func readsA0_3Result() throws {
        let result = try CNIResult(json: JSONValue(parsing: """
            {"cniVersion":"0.3.1","interfaces":[{"name":"cni0"},{"name":"eth0","sandbox":"/proc/1/ns/net"}],
             "ips":[{"version":"4","interface":0,"address":"10.1.0.1/16"},{"version":"4","interface":1,"address":"10.1.0.5/16","gateway":"10.1.0.1"}]}
            """))
        #expect(result.ips.count == 2)
        #expect(result.podIPs == [CNIResult.IP(address: "10.1.0.5", prefixLength: 16, gateway: "10.1.0.1", interface: 1)])
    }

    @Test func readsA0_2Result() throws {
        let result = try CNIResult(json: JSONValue(parsing: """
            {"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.9/8","gateway":"10.0.0.1"},"ip6":{"ip":"fd00::9/64"}}
            """))
        #expect(result.ips.map(\.cidr) == ["10.0.0.9/8", "fd00::9/64"])
        #expect(result.ips[0].gateway == "10.0.0.1")
        #expect(result.interfaces.isEmpty)
    }

    @Test func keepsTheRawJSONForPersistence() throws {
        let text = #"{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2/24"}],"custom":{"kept":true}}"#
        let result = try CNIResult(parsing: Array(text.utf8))
        #expect(String(decoding: result.bytes, as: UTF8.self) == text)
        #expect(try CNIResult(parsing: result.bytes) == result)
    }

    @Test func refusesResultsItCannotRead() {
        #expect(throws: CNIError.self) { try CNIResult(parsing: Array("not json".utf8)) }
        #expect(throws: CNIError.self) { try CNIResult(json: ["ips": [["address": "10.0.0.2"]]]) }
        #expect(throws: CNIError.self) { try CNIResult(json: ["ips": [["address": "10.0.0.2/999"]]]) }
        #expect(throws: CNIError.self) { try CNIResult(json: [1, 2]) }
    }
}
