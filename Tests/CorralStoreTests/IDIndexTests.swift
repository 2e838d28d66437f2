import CorralStore
import Testing

@Suite("id index")
struct IDIndexTests {
    @Test func resolvesUniquePrefixes() {
        var index = IDIndex()
        index.add("abc123")
        index.add("abd456")
        index.add("ff0000")
        #expect(index.resolve("abc") == .found("abc123"))
        #expect(index.resolve("abd4") == .found("abd456"))
        #expect(index.resolve("ab") == .ambiguous)
        #expect(index.resolve("a") == .ambiguous)
        #expect(index.resolve("f") == .found("ff0000"))
        #expect(index.resolve("abc123") == .found("abc123"))
        #expect(index.resolve("abc1234") == .notFound)
        #expect(index.resolve("0") == .notFound)
        #expect(index.resolve("zz") == .notFound)
    }

    @Test func anEmptyPrefixNamesNothing() {
        let index = IDIndex(["only"])
        #expect(index.resolve("") == .notFound)
    }

    @Test func anExactIdWinsOverLongerOnes() {
        let index = IDIndex(["abc", "abcd"])
        #expect(index.resolve("abc") == .found("abc"))
        #expect(index.resolve("abcd") == .found("abcd"))
        #expect(index.resolve("ab") == .ambiguous)
    }

    @Test func addAndRemove() {
        var index = IDIndex()
        let added = [index.add("b"), index.add("a"), index.add("a")]
        #expect(added == [true, true, false])
        #expect(index.ids == ["a", "b"])
        #expect(index.contains("a") && !index.contains("c"))
        let removed = [index.remove("a"), index.remove("a")]
        #expect(removed == [true, false])
        #expect(index.ids == ["b"])
        #expect(index.count == 1)
        #expect(index == IDIndex(["b", "b"]))
    }

    @Test func removingOneOfTwoMakesThePrefixUnique() {
        var index = IDIndex(["1234aa", "1234bb"])
        #expect(index.resolve("1234") == .ambiguous)
        index.remove("1234aa")
        #expect(index.resolve("1234") == .found("1234bb"))
    }

    @Test func manyRandomIds() {
        var ids: [String] = []
        for _ in 0..<500 {
            ids.append((0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined())
        }
        let index = IDIndex(ids)
        for id in ids {
            #expect(index.contains(id))
            #expect(index.resolve(id) == .found(id))
            // The shortest prefix no other id shares resolves to it; one digit shorter is ambiguous.
            let others = ids.filter { $0 != id }
            var length = 1
            while others.contains(where: { $0.hasPrefix(id.prefix(length)) }) { length += 1 }
            #expect(index.resolve(String(id.prefix(length))) == .found(id))
            if length > 1 { #expect(index.resolve(String(id.prefix(length - 1))) == .ambiguous) }
        }
    }
}
