public import Foundation
import NIOCore
import NIOPosix

/// Decides whether a tenant's webhook URL may be called (SSRF): `https://` only unless
/// `allowHTTP`; no user info; and every address its host names — an IP literal, or what the
/// name resolves to, checked again before each delivery — must be public unless the
/// configuration allows loopback or private networks. Resolution runs on NIO's blocking-I/O
/// thread pool, never on the cooperative pool.
public struct WebhookURLPolicy: Sendable {
    /// Why a URL is refused (a 422 `url_not_allowed` for the API).
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public let configuration: WebhookConfiguration

    public init(configuration: WebhookConfiguration) { self.configuration = configuration }

    static let maxURLBytes = 2_048

    /// The URL's form alone (no resolution): scheme, host, no user info; the parsed URL.
    public func checkForm(_ text: String) throws(Refusal) -> URL {
        guard text.utf8.count <= Self.maxURLBytes, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              let host = url.host, !host.isEmpty else {
            throw Refusal(reason: "url must be an absolute http(s) URL of at most \(Self.maxURLBytes) bytes")
        }
        guard scheme == "https" || (scheme == "http" && configuration.allowHTTP) else {
            throw Refusal(reason: configuration.allowHTTP ? "url must be http:// or https://" : "url must be https://")
        }
        guard url.user == nil, url.password == nil else { throw Refusal(reason: "url must not carry user info") }
        return url
    }

    /// The form, then every address the host has: throws if any is not allowed or the name does not resolve.
    public func check(_ text: String) async throws(Refusal) -> URL {
        let url = try checkForm(text)
        let host = url.host ?? ""
        let addresses: [[UInt8]]
        if let literal = Self.literal(host) {
            addresses = [literal]
        } else {
            do { addresses = try await Self.resolve(host, port: url.port ?? (url.scheme == "http" ? 80 : 443)) } catch {
                throw Refusal(reason: "url's host \(host) does not resolve")
            }
            guard !addresses.isEmpty else { throw Refusal(reason: "url's host \(host) does not resolve") }
        }
        for address in addresses {
            switch Self.classify(address) {
            case .public: continue
            case .loopback where configuration.allowLoopback || configuration.allowPrivateNetworks: continue
            case .private where configuration.allowPrivateNetworks: continue
            case .loopback: throw Refusal(reason: "url's host \(host) is a loopback address")
            case .private: throw Refusal(reason: "url's host \(host) is a private, link-local or reserved address")
            }
        }
        return url
    }

    enum AddressClass: Equatable { case `public`, loopback, `private` }

    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address's class.
    static func classify(_ bytes: [UInt8]) -> AddressClass {
        if bytes.count == 16 {
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return classify(Array(bytes[12...])) }  // ::ffff:a.b.c.d
            if bytes[0..<15].allSatisfy({ $0 == 0 }) { return bytes[15] == 1 ? .loopback : .private }  // ::1, ::
            if bytes[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0][...] { return classify(Array(bytes[12...])) }  // 64:ff9b::/96
            if bytes[0] & 0xFE == 0xFC { return .private }  // fc00::/7 unique local
            if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return .private }  // fe80::/10 link-local
            if bytes[0] == 0xFF { return .private }  // multicast
            if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0D && bytes[3] == 0xB8 { return .private }  // documentation
            return .public
        }
        guard bytes.count == 4 else { return .private }
        let (a, b) = (bytes[0], bytes[1])
        switch a {
        case 127: return .loopback
        case 0, 10: return .private
        case 100 where b & 0xC0 == 64: return .private  // 100.64.0.0/10 carrier-grade NAT
        case 169 where b == 254: return .private  // link-local, cloud metadata
        case 172 where b & 0xF0 == 16: return .private
        case 192 where b == 168: return .private
        case 192 where b == 0 && bytes[2] == 0: return .private  // 192.0.0.0/24
        case 198 where b & 0xFE == 18: return .private  // benchmarking
        case 224...255: return .private  // multicast, reserved, broadcast
        default: return .public
        }
    }

    /// The bytes of an IP literal host (`[::1]` or `10.0.0.1`), nil for a name.
    static func literal(_ host: String) -> [UInt8]? {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let address = try? SocketAddress(ipAddress: bare, port: 0) { return bytes(of: address) }
        return nil
    }

    static func bytes(of address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6):
            return withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        default:
            return nil
        }
    }

    /// Every address `host` resolves to (getaddrinfo, on the blocking-I/O pool).
    static func resolve(_ host: String, port: Int) async throws -> [[UInt8]] {
        try await NIOThreadPool.singleton.runIfActive { resolveAll(host, port: port) }
    }

    private static func resolveAll(_ host: String, port: Int) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var result: [[UInt8]] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let address = info.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { result.append(withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) }) }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { result.append(withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }) }
                default: break
                }
            }
            cursor = info.pointee.ai_next
        }
        return result
    }
}
