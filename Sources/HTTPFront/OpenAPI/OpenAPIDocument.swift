import Foundation
import Hummingbird

/// The API reference the server serves at `GET /openapi.json` (OpenAPI 3.1): every route, its
/// auth, parameters, bodies, envelope and error codes. It lives in `openapi.json`, a resource of
/// this module, read once; the conformance tests hold it to Hummingbird's route table both ways
/// and to recorded responses.
enum OpenAPIDocument {
    /// The document's bytes, as served.
    static let bytes: ByteBuffer = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            // A build without its resource bundle is broken, not a request error.
            fatalError("openapi.json is missing from the HTTPFront resource bundle (\(Bundle.module.bundlePath))")
        }
        return ByteBuffer(bytes: data)
    }()
}
