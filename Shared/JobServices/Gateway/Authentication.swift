import AuditArchive
import Foundation
import JobModel

/// What a caller may do.
public enum Role: String, Sendable, CaseIterable {
    /// Submits commands; reads, waits for, cancels and retries its own jobs.
    case submitter
    /// Every job, and the dead letters.
    case `operator`
    /// Reads every job and the audit trail; changes nothing.
    case auditor
    /// Everything.
    case admin
}

/// An authenticated caller.
public struct Identity: Sendable, Equatable {
    public let principal: String
    public let roles: Set<Role>

    public init(principal: String, roles: Set<Role>) {
        self.principal = principal
        self.roles = roles
    }

    /// The identity of every caller when authentication is turned off.
    public static let unauthenticated = Identity(principal: "anonymous", roles: [.admin])

    /// Whether the caller may read every job, not only its own.
    public var readsAllJobs: Bool { !roles.isDisjoint(with: [.operator, .auditor, .admin]) }

    /// Whether the caller may cancel or retry every job, not only its own.
    public var controlsAllJobs: Bool { !roles.isDisjoint(with: [.operator, .admin]) }

    public func has(_ role: Role) -> Bool { roles.contains(role) || roles.contains(.admin) }
}

/// Checks bearer tokens against a file of token hashes.
///
/// The file (`CNCF_TOKENS_FILE`) is a JSON list of `{"principal": "...", "roles": [...], "tokenSha256": "<hex>"}`:
/// only SHA-256 hashes of tokens are stored. A presented token is hashed and compared with every entry in
/// constant time, so neither the comparison nor the lookup reveals how close a guess came.
public struct TokenAuthenticator: Sendable {
    struct Entry: Sendable {
        let digest: [UInt8]
        let identity: Identity
    }

    private let entries: [Entry]

    /// Why a tokens file was refused.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads and checks a tokens file.
    public init(contentsOf path: String) throws(Invalid) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(description: "cannot read the tokens file \(path)")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(Array(data))
        } catch {
            throw Invalid(description: "the tokens file \(path) is \(error)")
        }
        try self.init(document: document)
    }

    /// Checks a parsed tokens document.
    public init(document: JSONValue) throws(Invalid) {
        guard let list = document.arrayValue else {
            throw Invalid(description: "the tokens file must hold a JSON list")
        }
        var entries: [Entry] = []
        for (index, item) in list.enumerated() {
            guard let principal = item["principal"]?.stringValue, !principal.isEmpty,
                let digest = item["tokenSha256"]?.stringValue.flatMap(Self.bytes(fromHex:)), digest.count == 32,
                let roleNames = item["roles"]?.arrayValue, !roleNames.isEmpty
            else {
                throw Invalid(description: "token entry \(index) needs principal, roles and a 64-digit tokenSha256")
            }
            var roles: Set<Role> = []
            for name in roleNames {
                guard let role = name.stringValue.flatMap(Role.init(rawValue:)) else {
                    let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
                    throw Invalid(description: "token entry \(index) has an unknown role; roles are \(known)")
                }
                roles.insert(role)
            }
            entries.append(Entry(digest: digest, identity: Identity(principal: principal, roles: roles)))
        }
        self.entries = entries
    }

    /// The identity of the token in an `Authorization: Bearer <token>` header, or `nil`.
    public func identity(forAuthorization header: String?) -> Identity? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, let digest = Self.bytes(fromHex: SHA256.hex(token)) else { return nil }
        var found: Identity?
        for entry in entries where Self.constantTimeEqual(entry.digest, digest) && found == nil {
            found = entry.identity
        }
        return found
    }

    static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    static func bytes(fromHex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(of: digits[index]), let low = value(of: digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// How the gateway decides who is calling.
public enum AccessControl: Sendable {
    /// Every `/v1` request needs a valid bearer token.
    case tokens(TokenAuthenticator)
    /// Nobody is checked; every caller is `anonymous` with every right. Only by explicit setting.
    case off

    /// Reads `CNCF_AUTH` (`tokens`, the default, or `off`) and `CNCF_TOKENS_FILE`.
    public static func fromEnvironment(
        _ environment: [String: String]
    ) throws(TokenAuthenticator.Invalid)
        -> AccessControl
    {
        switch environment["CNCF_AUTH"] ?? "tokens" {
        case "off":
            return .off
        case "tokens", "":
            guard let path = environment["CNCF_TOKENS_FILE"], !path.isEmpty else {
                throw TokenAuthenticator.Invalid(
                    description: "set CNCF_TOKENS_FILE to a tokens file, or CNCF_AUTH=off to run without authentication"
                )
            }
            return .tokens(try TokenAuthenticator(contentsOf: path))
        default:
            throw TokenAuthenticator.Invalid(description: "CNCF_AUTH must be tokens or off")
        }
    }
}
