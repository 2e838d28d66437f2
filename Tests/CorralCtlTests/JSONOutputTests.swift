@testable import CorralCtl
import Foundation
import Testing

@Suite("JSON output")
struct JSONOutputTests {
    @Test func zeroValuesArePutBackWhereMissing() throws {
        let object: [String: Any] = ["id": "abc", "metadata": ["name": "web"]]
        let filled = [(["state"], "SANDBOX_READY" as Any), (["metadata", "attempt"], 0 as Any), (["id"], "other" as Any)]
            .reduce(object) { JSONOutput.setting($0, $1.0[...], $1.1) }
        #expect(try JSONOutput.text(filled) == """
            {
              "id" : "abc",
              "metadata" : {
                "attempt" : 0,
                "name" : "web"
              },
              "state" : "SANDBOX_READY"
            }
            """)
    }

    @Test func infoValuesOpenUpNestedJSON() throws {
        let info = JSONOutput.infoMap([
            "info": #"{"pid": 42, "config": "{\"metadata\":{\"name\":\"app\"}}", "path": "/run/x"}"#,
            "plain": "not json",
        ])
        #expect(info["plain"] as? String == "not json")
        let inner = try #require(info["info"] as? [String: Any])
        #expect(inner["pid"] as? Int == 42)
        #expect(inner["path"] as? String == "/run/x")
        let config = try #require(inner["config"] as? [String: Any])
        #expect((config["metadata"] as? [String: Any])?["name"] as? String == "app")
        #expect(try JSONOutput.text(info).contains(#""path" : "/run/x""#))
    }
}
