import Foundation
import JobModel

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Talks to the gateway.
struct GatewayClient {
    let baseURL: String

    /// Sends one request and returns the status and the JSON body.
    ///
    /// An answer of 400 or more becomes a `CommandLineError` (exit code 2 for 400 and 404, 3 otherwise) unless
    /// its status is in `accepting`, for the few answers a command handles itself (a failed `sync` command).
    func request(
        _ method: String, _ path: String, body: JSONValue? = nil, headers: [String: String] = [:],
        timeout: TimeInterval = 30, accepting: Set<Int> = []
    ) async throws -> (status: Int, json: JSONValue) {
        guard let url = URL(string: baseURL + path) else {
            throw CommandLineError(message: "invalid gateway URL \(baseURL)", code: .usage)
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.encoded.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        if let token = ProcessInfo.processInfo.environment["CNCF_TOKEN"], !token.isEmpty {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CommandLineError(
                message: "cannot reach the gateway at \(baseURL): \(error.localizedDescription)",
                code: .unavailable)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let json = (try? JSONValue.parse(Array(data), depthLimit: 512)) ?? .null
        if status >= 400 && !accepting.contains(status) {
            let code = json["error"]?["code"]?.stringValue ?? "http_\(status)"
            let message = json["error"]?["message"]?.stringValue ?? String(decoding: data, as: UTF8.self)
            throw CommandLineError(
                message: "\(code): \(message)", code: status == 404 || status == 400 ? .usage : .unavailable)
        }
        return (status, json)
    }

    /// `path` with the given query parameters, percent-encoded; parameters without a value are left out.
    static func path(_ path: String, query: [(name: String, value: String?)]) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        let pairs = query.compactMap { name, value in
            value.flatMap { $0.addingPercentEncoding(withAllowedCharacters: allowed) }.map { "\(name)=\($0)" }
        }
        return pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&")
    }

    /// A path segment (a job id or a dead-letter entry id), percent-encoded.
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
