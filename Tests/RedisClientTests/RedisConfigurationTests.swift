import RedisClient
import Testing

@Suite("Redis URLs")
struct RedisConfigurationTests {
    @Test("a bare host gets the default port and database 0")
    func bareHost() throws {
        let configuration = try RedisConfiguration(url: "redis://cache.internal")
        #expect(configuration == RedisConfiguration(host: "cache.internal", port: 6379))
    }

    @Test("host, port and database are read")
    func hostPortDatabase() throws {
        let configuration = try RedisConfiguration(url: "redis://10.0.0.5:7001/3")
        #expect(configuration.host == "10.0.0.5")
        #expect(configuration.port == 7001)
        #expect(configuration.database == 3)
        #expect(configuration.user == nil && configuration.password == nil)
    }

    @Test("an empty host means 127.0.0.1 and a trailing slash means database 0")
    func emptyHostAndSlash() throws {
        let configuration = try RedisConfiguration(url: "redis://:6380/")
        #expect(configuration == RedisConfiguration(host: "127.0.0.1", port: 6380, database: 0))
    }

    @Test("user and password are read and percent-decoded")
    func userAndPassword() throws {
        let configuration = try RedisConfiguration(url: "redis://app%40team:p%3Ass%2Fw@redis:6379/1")
        #expect(configuration.user == "app@team")
        #expect(configuration.password == "p:ss/w")
        #expect(configuration.host == "redis")
        #expect(configuration.database == 1)
    }

    @Test("a password may be given without a user, and may itself hold ':' and '@'")
    func passwordOnly() throws {
        let configuration = try RedisConfiguration(url: "redis://:se:cr@t@localhost:6390")
        #expect(configuration.user == nil)
        #expect(configuration.password == "se:cr@t")
        #expect(configuration.host == "localhost")
        #expect(configuration.port == 6390)
    }

    @Test("a name without a colon is a user without a password")
    func userOnly() throws {
        let configuration = try RedisConfiguration(url: "redis://reader@localhost")
        #expect(configuration.user == "reader")
        #expect(configuration.password == nil)
    }

    @Test(
        "a '%' that starts no escape is kept as written (or the URL refused), never dropped with what follows",
        arguments: ["100%sure", "ab%4", "50%", "%zz%41"])
    func literalPercentInPassword(password: String) {
        // Refusing such a URL would be acceptable; silently connecting with another password is not.
        guard let configuration = try? RedisConfiguration(url: "redis://:\(password)@localhost:6379") else { return }
        let expected = password == "%zz%41" ? "%zzA" : password
        #expect(configuration.password == expected)
    }

    @Test(
        "refuses URLs with another scheme, a bad port or a bad database",
        arguments: ["rediss://localhost:6379", "http://localhost", "localhost:6379", "redis://h:0", "redis://h:65536",
                    "redis://h:port", "redis://h:", "redis://h:6379/-1", "redis://h:6379/db"])
    func refusesBadURLs(url: String) {
        #expect {
            try RedisConfiguration(url: url)
        } throws: { error in
            guard case RedisError.configuration = error else { return false }
            return true
        }
    }

    @Test("the description hides the password")
    func descriptionHidesCredentials() throws {
        let withUser = try RedisConfiguration(url: "redis://admin:topsecret@h:1/2")
        #expect(withUser.description == "redis://admin:***@h:1/2")
        #expect(!withUser.description.contains("topsecret"))
        let passwordOnly = try RedisConfiguration(url: "redis://:topsecret@h:1")
        #expect(passwordOnly.description == "redis://:***@h:1/0")
        #expect(try RedisConfiguration(url: "redis://h").description == "redis://h:6379/0")
    }
}
