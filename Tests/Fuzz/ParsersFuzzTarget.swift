// A libFuzzer target for the parsers that read untrusted input: JSON documents, command-stream entries and HTTP
// command bodies. Built and run by ops/fuzz, which compiles it together with the JobModel sources.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    // Any byte string: parse as JSON, and if it parses, as a command body; encoding must round-trip.
    if let document = try? JSONValue.parse(bytes) {
        let encoded = document.encoded
        guard let again = try? JSONValue.parse(encoded, depthLimit: JSONValue.defaultDepthLimit + 1) else {
            fatalError("encoded JSON does not parse again: \(encoded)")
        }
        guard again.encoded == encoded else { fatalError("JSON encoding is not stable: \(encoded)") }
        _ = try? CommandValidation.parse(body: document)
    }

    // The same bytes split into stream-entry fields: NUL separates field from value, newline separates pairs.
    let text = String(decoding: bytes, as: UTF8.self)
    var fields: [String: String] = [:]
    for pair in text.split(separator: "\n") {
        let parts = pair.split(separator: "\0", maxSplits: 1, omittingEmptySubsequences: false)
        fields[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    _ = try? CommandValidation.parse(streamFields: fields)
    _ = Clock.parseRFC3339(text)
    _ = JobID.derived(fromStreamEntry: text)
    return 0
}
