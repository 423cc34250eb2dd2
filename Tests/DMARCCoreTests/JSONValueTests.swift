import Testing

@testable import DMARCCore

@Suite("JSON output")
struct JSONValueTests {
    @Test("Keys keep their order and strings are escaped, markup included")
    func serialise() {
        let v = JSONValue.object([
            ("b", .int(1)), ("a", .string("<script>\"x\"\n")), ("c", .array([.null, .bool(true)])),
        ])
        #expect(v.serialized() == #"{"b":1,"a":"\u003cscript\u003e\"x\"\n","c":[null,true]}"#)
        #expect(JSONValue.object([]).serialized(pretty: true) == "{}")
    }
}
