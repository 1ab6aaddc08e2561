import CCrypto

/// SHA-256 digests, computed by OpenSSL's libcrypto.
public enum SHA256 {
    /// The digest of `bytes` as 64 lowercase hexadecimal digits.
    public static func hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let status = bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        // EVP_Digest fails only when libcrypto cannot allocate or has no SHA-256, which no caller can recover from.
        precondition(status == 1 && length == 32, "OpenSSL EVP_Digest(SHA-256) failed")
        return hexadecimal(digest.prefix(32))
    }

    /// The digest of the UTF-8 bytes of `text` as 64 lowercase hexadecimal digits.
    public static func hex(_ text: String) -> String {
        hex(Array(text.utf8))
    }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func hexadecimal(_ bytes: ArraySlice<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
