import Foundation

/// Runs a blocking body on a new thread of its own and resumes the caller with its result,
/// so that opening files, migrating or joining threads never blocks the cooperative pool.
func onDedicatedThread<Value: Sendable>(name: String, _ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withUnsafeThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.name = name
        thread.start()
    }
}
