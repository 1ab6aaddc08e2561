import JobModel
import Testing

@Suite("JSONValue")
struct JSONValueTests {
    @Test("parses every JSON type into the matching case")
    func parsesEveryType() throws {
        let value = try JSONValue.parse(#"{"s":"x","i":-12,"d":2.5,"t":true,"f":false,"n":null,"a":[1,"two"],"o":{}}"#)
        #expect(value == [
            "s": "x", "i": -12, "d": .double(2.5), "t": true, "f": false, "n": nil, "a": [1, "two"], "o": [:],
        ])
    }

    @Test("keeps whole numbers as ints and fractions as doubles")
    func intsAndDoubles() throws {
        #expect(try JSONValue.parse("42") == .int(42))
        #expect(try JSONValue.parse("-7") == .int(-7))
        #expect(try JSONValue.parse("0") == .int(0))
        #expect(try JSONValue.parse("9223372036854775807") == .int(Int.max))
        #expect(try JSONValue.parse("4.25") == .double(4.25))
        #expect(try JSONValue.parse("-0.5") == .double(-0.5))
        #expect(try JSONValue.parse("1e-3") == .double(0.001))
        // Past Int.max the value can only be a double.
        #expect(try JSONValue.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
    }

    @Test("does not read numbers as booleans or booleans as numbers")
    func booleansAreNotNumbers() throws {
        #expect(try JSONValue.parse("[1,true,0,false]") == [.int(1), .bool(true), .int(0), .bool(false)])
    }

    @Test("encodes numbers without a needless fraction and non-finite doubles as null")
    func encodesNumbers() {
        #expect(JSONValue.int(3).encoded == "3")
        #expect(JSONValue.int(-40).encoded == "-40")
        #expect(JSONValue.double(2.5).encoded == "2.5")
        #expect(JSONValue.double(3).encoded == "3")
        #expect(JSONValue.double(.infinity).encoded == "null")
        #expect(JSONValue.double(.nan).encoded == "null")
    }

    @Test("reads numbers as JSONDecoder does: whole numbers that fit are ints, others doubles")
    func readsNumbers() throws {
        #expect(try JSONValue.parse("-0") == .int(0))
        #expect(try JSONValue.parse("1.0") == .int(1))
        #expect(try JSONValue.parse("1e2") == .int(100))
        #expect(try JSONValue.parse("100e-2") == .int(1))
        #expect(try JSONValue.parse("1e-2") == .double(0.01))
        #expect(try JSONValue.parse("9223372036854775807") == .int(.max))
        #expect(try JSONValue.parse("1e19") == .double(1e19))
        for refused in ["01", "1.", ".5", "+1", "1e", "-", "1e400", "0x10", "NaN"] {
            #expect(throws: JSONValue.ParseError.self, "\(refused)") { try JSONValue.parse(refused) }
        }
    }

    @Test("calls a number with stray number characters malformed, also in a member that is named twice")
    func namesMalformedNumbers() {
        for text in ["[2+]", "1.5.0", "1e5e3", "[0-1]", #"{"a":1,"a":[2+]}"#] {
            do {
                _ = try JSONValue.parse(text)
                Issue.record("\(text) was read")
            } catch {
                #expect("\(error)".contains("malformed number"), "\(text): \(error)")
            }
        }
    }

    @Test("reads escapes and surrogate pairs, and refuses control characters, lone surrogates and bad UTF-8")
    func readsStrings() throws {
        let escaped = #""a\"\\\/\b\f\n\r\t\u0041\ud83d\ude00""#
        #expect(try JSONValue.parse(escaped) == .string("a\"\\/\u{8}\u{c}\n\r\tA😀"))
        #expect(try JSONValue.parse("\"ünï\"") == .string("ünï"))
        for refused in ["\"a\u{1}b\"", "\"a\nb\"", #""\ud800""#, #""\udc00x""#, #""\x""#, #""\u12""#, "\"abc"] {
            #expect(throws: JSONValue.ParseError.self, "\(refused.debugDescription)") { try JSONValue.parse(refused) }
        }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
    }

    @Test("tolerates one trailing comma and keeps a repeated member's first value, as JSONDecoder does")
    func readsStructure() throws {
        #expect(try JSONValue.parse("[1,2,]") == [1, 2])
        #expect(try JSONValue.parse(#"{"a":1,}"#) == ["a": 1])
        #expect(try JSONValue.parse(#"{"a":1,"a":2}"#) == ["a": 1])
        #expect(try JSONValue.parse(" \t\r\n{ } ") == [:])
        for refused in ["[,]", "[1,,2]", "{,}", #"{"a" 1}"#, "[1 2]", "[1] x", "", "{", #"{"a":}"#] {
            #expect(throws: JSONValue.ParseError.self, "\(refused)") { try JSONValue.parse(refused) }
        }
    }

    @Test("writes a whole double beyond 2^53 with digits, so its text survives being parsed and written again")
    func largeWholeDoublesStayStable() throws {
        let large = try JSONValue.parse("888888888888888888.880")
        let encoded = large.encoded
        #expect(encoded == "888888888888888832")
        #expect(try JSONValue.parse(encoded).encoded == encoded)
        #expect(JSONValue.double(1e19).encoded == "1e+19")
        #expect(try JSONValue.parse("1e+19").encoded == "1e+19")
    }

    @Test("writes object keys in sorted order, at every level, so equal values encode alike")
    func sortedKeys() throws {
        let value: JSONValue = ["zeta": 1, "alpha": ["y": true, "b": nil], "Mid": "m"]
        #expect(value.encoded == #"{"Mid":"m","alpha":{"b":null,"y":true},"zeta":1}"#)
        let reordered = try JSONValue.parse(#"{"alpha":{"y":true,"b":null},"zeta":1,"Mid":"m"}"#)
        #expect(reordered.encoded == value.encoded)
    }

    @Test("escapes quotes, backslashes and control characters and keeps other text as is")
    func escapes() {
        let value = JSONValue.string("q\"b\\n\nr\rt\tnul\u{0}x\u{1}y\u{1F}é😀/")
        #expect(value.encoded == #""q\"b\\n\nr\rt\tnul\u0000x\u0001y\u001fé😀/""#)
    }

    @Test("text that needs no escape is written as it is, also beyond ASCII")
    func plainText() {
        #expect(JSONValue.string("héllo wörld 😀 / ok").encoded == #""héllo wörld 😀 / ok""#)
        #expect(JSONValue.object(["b": .string("2"), "a": .string("1")]).encoded == #"{"a":"1","b":"2"}"#)
    }

    @Test("escaped keys are written escaped too")
    func escapedKeys() {
        let value: JSONValue = ["a\"b": 1, "line\nbreak": 2]
        #expect(value.encoded == #"{"a\"b":1,"line\nbreak":2}"#)
    }

    @Test("parses escapes, including surrogate pairs")
    func parsesEscapes() throws {
        #expect(try JSONValue.parse(#""\u00e9\n\"\\\/\ud83d\ude00""#) == .string("é\n\"\\/😀"))
    }

    @Test(
        "survives an encode and parse round trip unchanged",
        arguments: [
            JSONValue.null, true, 0, -1, .int(Int.max), .int(Int.min), .double(0.1), .double(-1.5e-9), .double(6.02e23),
            "", "plain", "tab\tquote\"back\\slash\u{0}\u{7F}ünï😀", [], [:],
            [1, [2, [3, ["deep": ["deeper": []]]]]],
            ["nested": ["list": [nil, false, "x", .double(2.75)], "empty": [:]], "k": "v"],
        ] as [JSONValue])
    func roundTrip(value: JSONValue) throws {
        #expect(try JSONValue.parse(value.encoded) == value)
    }

    @Test("accepts nesting up to the depth limit and refuses one level more")
    func depthLimit() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        let limit = JSONValue.defaultDepthLimit
        #expect(throws: Never.self) { try JSONValue.parse(nested(limit)) }
        #expect(throws: JSONValue.ParseError.tooDeep(limit: limit)) { try JSONValue.parse(nested(limit + 1)) }
        #expect(throws: JSONValue.ParseError.tooDeep(limit: 3)) {
            try JSONValue.parse(#"{"a":{"b":{"c":{}}}}"#, depthLimit: 3)
        }
        #expect(try JSONValue.parse(#"{"a":{"b":{}}}"#, depthLimit: 3) == ["a": ["b": [:]]])
    }

    @Test("does not count brackets inside strings, escaped quotes included, as nesting")
    func bracketsInStringsAreNotNesting() throws {
        let text = #"["[[[[[[\"{{{{{{", "\\", "]]]"]"#
        #expect(try JSONValue.parse(text, depthLimit: 1) == ["[[[[[[\"{{{{{{", "\\", "]]]"])
    }

    @Test(
        "refuses text that is not one valid JSON document",
        arguments: ["", "{", "[1,,2]", "{'a':1}", "nul", "{\"a\":1}x", "[1 2]", "\"unterminated", "{\"a\"}", "01",
                    "NaN", "// comment\n{}", "{,}"])
    func refusesInvalidJSON(text: String) {
        #expect {
            try JSONValue.parse(text)
        } throws: { error in
            guard case JSONValue.ParseError.invalid = error else { return false }
            return true
        }
    }

    @Test("parses raw bytes the same as text")
    func parsesBytes() throws {
        let bytes = Array(#"{"k":[1,"ü"]}"#.utf8)
        #expect(try JSONValue.parse(bytes) == ["k": [1, "ü"]])
    }

    @Test("accessors return values of their own type only")
    func accessors() {
        let value: JSONValue = ["s": "text", "i": 4, "d": .double(4.5), "b": true, "a": [1], "o": ["x": 1]]
        #expect(value["s"]?.stringValue == "text")
        #expect(value["i"]?.intValue == 4)
        #expect(value["i"]?.stringValue == nil)
        #expect(value["d"]?.intValue == nil)
        #expect(value["d"]?.doubleValue == 4.5)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["o"]?.objectValue == ["x": 1])
        #expect(value["missing"] == nil)
        #expect(JSONValue.array([1])["s"] == nil)
        #expect(value["s"]?.typeName == "string")
        #expect(value["i"]?.typeName == "number")
        #expect(value.typeName == "object")
    }
}
