import Foundation
import Hummingbird
import Jobs
import Runtime

/// The batch API under `/llm-orch/v1/inference/batches`: submit (JSON `{items:[…]}` or NDJSON),
/// list, read, page results, cancel. A submission is validated whole before anything is held
/// or queued; an error names the item's line.
struct BatchesController: Sendable {
    let runtime: JobRuntime
    let llm: LLMService
    let batches: InferenceBatches
    /// Reads bodies within the batch limits (64 MiB, NDJSON too).
    let body: JSONBody

    static let batchesPath = "/inference/batches"

    struct BatchItemRequest: ClosedJSONBody {
        var customId: String?
        var prompt: String?
        var messages: [ChatMessage]?
        var maxTokens: Int
        var useCase: String?
        var model: String?
        var temperature: Double?

        enum CodingKeys: String, CodingKey, CaseIterable { case customId, prompt, messages, maxTokens, useCase, model, temperature }
        static let schema = BodySchema(CodingKeys.self)
    }

    struct BatchRequest: ClosedJSONBody {
        var items: [BatchItemRequest]

        enum CodingKeys: String, CodingKey, CaseIterable { case items }
        static let schema = BodySchema(fields: ["": .init(CodingKeys.self), "items[]": .init(BatchItemRequest.CodingKeys.self)])
    }

    static let maxCustomIDBytes = 128

    func addRoutes(to group: RouterGroup<TenantRequestContext>, _ table: inout RouteTable) {
        let idempotent = group.group().add(middleware: IdempotencyMiddleware(store: runtime.idempotency, body: body))
        let path = HTTPFront.llmPrefix + Self.batchesPath
        table.post(path, on: idempotent) { request, context in
            try await submitBatch(request, context)
        }
        table.get(path, on: group) { request, context in
            let caller = context.principal
            let paging = try Paging(request, list: "batches")
            let rows = try await batches.batches(tenant: caller.tenant, before: paging.before, limit: paging.limit + 1)
            return try EnvelopeResponse.list(paging.page(rows, list: "batches", id: \.sequence, show: BatchView.init), context: context)
        }
        table.get(path + "/{id}", on: group) { _, context in
            let caller = context.principal
            guard let batch = try await batches.batch(try batchID(context), tenant: caller.tenant) else { throw Self.batchNotFound }
            return try EnvelopeResponse.success(BatchView(batch), context: context)
        }
        table.get(path + "/{id}/results", on: group) { request, context in
            let caller = context.principal
            let paging = try Paging(request, list: "batch-results")
            guard let rows = try await batches.results(try batchID(context), tenant: caller.tenant,
                                                       after: paging.before.map(JobID.init(rawValue:)), limit: paging.limit + 1)
            else { throw Self.batchNotFound }
            return try EnvelopeResponse.list(paging.page(rows, list: "batch-results", id: \.jobID.rawValue, show: BatchResultView.init),
                                             context: context)
        }
        table.post(path + "/{id}/cancel", on: group) { _, context in
            let caller = context.principal
            switch try await batches.cancel(try batchID(context), tenant: caller.tenant) {
            case .notFound: throw Self.batchNotFound
            case .alreadyFinished(let status):
                throw APIError.conflict("batch_finished", "the batch already ended (\(status.rawValue)); nothing to cancel")
            case .cancelling(let batch): return try EnvelopeResponse.success(BatchView(batch), context: context)
            }
        }
    }

    static let batchNotFound = APIError.notFound("no batch with this id")

    private func batchID(_ context: TenantRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), id.hasPrefix("batch_"), id.utf8.count <= 64 else { throw Self.batchNotFound }
        return id
    }

    private func submitBatch(_ request: Request, _ context: TenantRequestContext) async throws -> Response {
        let caller = context.principal
        let (items, lines) = try await batchItems(request)
        let total = try InferenceBatches.worstCase(of: items)
        let ceiling = try request.budgetCeiling()
        if let ceiling, total > ceiling {
            throw APIError(ErrorMapping.paymentRequired, "budget_exceeded",
                           "the batch's worst-case cost \(total.usdString) USD is above the budget of \(ceiling.usdString) USD")
        }
        let wallet = try await llm.chooseWallet(tenant: caller.tenant, user: caller.subject, worstCase: total, forced: request.headers[.wallet],
                                                in: runtime.wallets)
        let batch: InferenceBatch
        do {
            batch = try await batches.submit(tenant: caller.tenant, wallet: wallet, items: items, ceiling: ceiling,
                                             idempotencyKey: IdempotencyScope.key(of: request, caller: caller))
        } catch let error as InferenceBatches.ItemError {
            throw Self.atLine(lines[error.index], .invalid(error.field, error.message))
        }
        return try EnvelopeResponse.success(BatchView(batch), status: .accepted, context: context)
    }

    /// The body's items, each validated and priced, and the line of each; the first error names
    /// its line (NDJSON) or its position (JSON, 1-based) and field.
    private func batchItems(_ request: Request) async throws -> (items: [BatchItem], lines: [Int]) {
        let media = request.headers[.contentType]?.split(separator: ";", maxSplits: 1).first.map { $0.trimmedOfSpaces.lowercased() }
        let ndjson: Bool
        switch media {
        case "application/json": ndjson = false
        case "application/x-ndjson", "application/jsonl": ndjson = true
        default: throw APIError.unsupportedMediaType("Content-Type must be application/json or application/x-ndjson")
        }
        let data = Data(buffer: try await body.bytes(request))
        var requests: [(line: Int, item: BatchItemRequest)] = []
        if ndjson {
            // Items and their line numbers; decoded as one JSON array (one decoder pass instead
            // of one per line), and line by line only to name the line of a decoding error.
            var lines: [(line: Int, bytes: Data)] = []
            var line = 0
            for slice in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                line += 1
                guard slice.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }) else { continue }
                guard lines.count < InferenceBatches.maxItems else { throw Self.tooManyItems }
                guard Self.isOneObject(slice) else { throw Self.atLine(line, .invalid("", "each line must hold one JSON object")) }
                do { try JSONScan.check(Data(slice), schema: BatchItemRequest.schema) } catch { throw Self.atLine(line, error) }
                lines.append((line, Data(slice)))
            }
            var array = Data("[".utf8)
            array.reserveCapacity(data.count + lines.count + 2)
            for (index, item) in lines.enumerated() {
                if index > 0 { array.append(UInt8(ascii: ",")) }
                array.append(item.bytes)
            }
            array.append(UInt8(ascii: "]"))
            if let decoded = try? JSONBody.decoder.decode([BatchItemRequest].self, from: array), decoded.count == lines.count {
                requests = zip(lines, decoded).map { ($0.line, $1) }
            } else {
                for item in lines {
                    do { requests.append((item.line, try JSONBody.decode(BatchItemRequest.self, from: item.bytes))) } catch let error as APIError {
                        throw Self.atLine(item.line, error)
                    }
                }
            }
        } else {
            guard !data.isEmpty else { throw APIError.invalid("items", "a JSON body with items is required") }
            let decoded: BatchRequest
            do { decoded = try JSONBody.decode(BatchRequest.self, from: data) } catch let error as APIError {
                throw Self.itemLine(error).map { Self.atLine($0, error) } ?? error
            }
            guard decoded.items.count <= InferenceBatches.maxItems else { throw Self.tooManyItems }
            requests = decoded.items.enumerated().map { ($0.offset + 1, $0.element) }
        }
        guard !requests.isEmpty else { throw APIError.invalid("items", "a batch needs at least one item") }
        var seen: [String: Int] = [:]
        seen.reserveCapacity(requests.count)
        var items: [BatchItem] = []
        items.reserveCapacity(requests.count)
        for (line, input) in requests {
            do {
                guard let customID = input.customId else { throw APIError.invalid("customId", "customId is required") }
                guard !customID.isEmpty, customID.utf8.count <= Self.maxCustomIDBytes else {
                    throw APIError.invalid("customId", "customId must be 1 to \(Self.maxCustomIDBytes) bytes")
                }
                if let first = seen.updateValue(line, forKey: customID) {
                    throw APIError.invalid("customId", "customId '\(customID.prefix(40))' is already used on line \(first)")
                }
                let priced = try llm.priced(prompt: input.prompt, messages: input.messages, maxTokens: input.maxTokens,
                                            useCase: input.useCase, model: input.model, temperature: input.temperature)
                items.append(BatchItem(customID: customID, messages: priced.messages, maxTokens: input.maxTokens, useCase: input.useCase,
                                       model: input.model, temperature: input.temperature, worstCase: priced.worstCase))
            } catch let error as APIError {
                throw Self.atLine(line, error)
            } catch let error as CompletionFieldError {
                throw Self.atLine(line, .invalid(error.field, error.message))
            }
        }
        return (items, requests.map(\.line))
    }

    /// Whether the bytes are one JSON object and nothing else (spaces around it aside): braces
    /// balance outside strings and close only at the end. A line with two objects, or half of
    /// one, is refused before the lines are decoded together as one array.
    static func isOneObject(_ bytes: some Collection<UInt8>) -> Bool {
        var depth = 0, inString = false, escaped = false, closed = false, opened = false
        for byte in bytes {
            if closed {
                guard byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") else { return false }
                continue
            }
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if !opened { guard byte == UInt8(ascii: "{") else { return false } }
                opened = true
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                guard depth >= 0 else { return false }
                if depth == 0 { closed = true }
            case UInt8(ascii: "\""):
                guard opened else { return false }
                inString = true
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                continue
            default:
                guard opened else { return false }
            }
        }
        return closed
    }

    private static let tooManyItems = APIError.invalid("items", "a batch holds at most \(InferenceBatches.maxItems) items")

    /// The 1-based item a decoding error's field (`items[3].maxTokens`) points into.
    private static func itemLine(_ error: APIError) -> Int? {
        guard let field = error.details["field"], field.hasPrefix("items["), let close = field.firstIndex(of: "]"),
              let index = Int(field[field.index(field.startIndex, offsetBy: 6)..<close]) else { return nil }
        return index + 1
    }

    /// The error, its message prefixed with the line and its details naming it.
    private static func atLine(_ line: Int, _ error: APIError) -> APIError {
        var details = error.details
        details["line"] = String(line)
        if let field = details["field"], field.hasPrefix("items[") {  // JSON paths name the array; the line says which item
            details["field"] = field.split(separator: ".", maxSplits: 1).dropFirst().first.map(String.init) ?? field
        }
        return APIError(error.status, error.code, "line \(line): \(error.message)", details: details)
    }
}
