// A libFuzzer target for the parsers that read untrusted input: JSON documents, command-stream entries and HTTP
// command bodies. Built and run by ops/fuzz, which compiles it together with the JobModel sources.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    // Any byte string: what the JSON reader accepts, Foundation's decoder accepts with the same value (numbers
    // compared as the doubles they denote, one unit in the last place apart at most: the decoder reads some fractions
    // past 2^53 as truncated ints, which can round to the neighbouring double); what the decoder accepts, the reader
    // accepts too, unless the text is not plain UTF-8 or the reader found a malformed string or number the decoder
    // never looked at (it reads lazily, and skips a repeated member's value).
    let read = bytes.withUnsafeBufferPointer { buffer in
        Result { () throws(JSONReader.Failure) in try JSONReader.read(buffer) }
    }
    // Foundation's decoder traps on some documents nested deeper than its limit of 512 levels, while it describes
    // where the error is: such bytes are read by the JSON reader alone.
    let opened = bytes.lazy.filter { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "{") }.count
    if opened < 512 {
        let reference = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        switch (read, reference) {
        case (.success(let value), let reference):
            guard let reference, agree(reference, value) else {
                fatalError("the JSON reader accepted what JSONDecoder reads otherwise: \(value)")
            }
        case (.failure(let failure), .some(let value)):
            let tokenContent = ["control character", "UTF-8", "surrogate", "escape", "digit", "number", "may not start"]
            guard decoderReadsAnotherEncoding(bytes) || tokenContent.contains(where: failure.reason.contains) else {
                fatalError("the JSON reader refused (\(failure.reason)) what JSONDecoder reads as \(value)")
            }
        case (.failure, nil):
            break
        }
    }
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

/// Whether `bytes` are not plain UTF-8 text, which the JSON reader refuses by design while Foundation's decoder may
/// read them: invalid UTF-8 (which it repairs in places), a byte-order mark, or the zero bytes of UTF-16 and UTF-32.
private func decoderReadsAnotherEncoding(_ bytes: [UInt8]) -> Bool {
    String(validating: bytes, as: UTF8.self) == nil || bytes.starts(with: [0xEF, 0xBB, 0xBF])
        || bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.prefix(4).contains(0)
}

/// Whether two readings of one document agree, numbers compared as doubles at most one unit in the last place apart
/// (the readers disagree on which numbers are ints, and on how to round a fraction past 2^53).
private func agree(_ left: JSONValue, _ right: JSONValue) -> Bool {
    switch (left, right) {
    case (.array(let lefts), .array(let rights)):
        return lefts.count == rights.count && zip(lefts, rights).allSatisfy(agree)
    case (.object(let lefts), .object(let rights)):
        return lefts.count == rights.count
            && lefts.allSatisfy { key, value in rights[key].map { agree(value, $0) } ?? false }
    default:
        guard let leftNumber = number(left), let rightNumber = number(right) else { return left == right }
        return leftNumber == rightNumber || leftNumber.nextUp == rightNumber || leftNumber.nextDown == rightNumber
    }
}

private func number(_ value: JSONValue) -> Double? {
    switch value {
    case .int(let number): Double(number)
    case .double(let number): number
    default: nil
    }
}
