import Hummingbird
import Runtime

/// `GET /jobs`, `GET /jobs/{id}`, `POST /jobs/{id}/cancel`: the caller's tenant's jobs only;
/// another tenant's job id is 404, exactly like an id that does not exist.
struct JobsController: Sendable {
    let runtime: JobRuntime

    static let jobStates = JobState.allCases.map(\.rawValue)

    func addRoutes(to group: RouterGroup<TenantRequestContext>, _ table: inout RouteTable) {
        table.get(HTTPFront.llmPrefix + "/jobs", on: group) { request, context in
            let caller = context.principal
            let paging = try Paging(request, list: "jobs")
            let query = request.uri.queryParameters
            var states: [JobState] = []
            // A filter that is sent must name something: `state=` or `state=,,` is not "any state".
            if let text = query["state"] {
                for name in text.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let state = JobState(rawValue: String(name)) else {
                        throw APIError.invalid("state", "state must be one or more of \(Self.jobStates.joined(separator: ", ")), comma-separated")
                    }
                    states.append(state)
                }
            }
            var kind: String?
            if let text = query["kind"] {
                guard !text.isEmpty, text.utf8.count <= 200 else { throw APIError.invalid("kind", "kind must be 1 to 200 bytes") }
                kind = String(text)
            }
            let rows = try await runtime.jobs.jobs(tenant: caller.tenant, states: states, kind: kind,
                                                   before: paging.before.map(JobID.init(rawValue:)), limit: paging.limit + 1)
            return try EnvelopeResponse.list(paging.page(rows, list: "jobs", id: \.id.rawValue, show: JobView.init), context: context)
        }

        table.get(HTTPFront.llmPrefix + "/jobs/{id}", on: group) { _, context in
            let caller = context.principal
            guard let job = try await runtime.job(try jobID(context), tenant: caller.tenant) else { throw Self.jobNotFound }
            return try EnvelopeResponse.success(JobView(job), context: context)
        }

        table.post(HTTPFront.llmPrefix + "/jobs/{id}/cancel", on: group) { _, context in
            let caller = context.principal
            let id = try jobID(context)
            switch try await runtime.cancel(id, tenant: caller.tenant) {
            case .notFound:
                throw Self.jobNotFound
            case .alreadyFinished(let state):
                throw APIError.conflict("job_finished", "the job already finished (\(state.rawValue)); nothing to cancel")
            case .cancelled, .cancelling:
                guard let job = try await runtime.job(id, tenant: caller.tenant) else { throw Self.jobNotFound }
                return try EnvelopeResponse.success(JobView(job), context: context)
            }
        }
    }

    static let jobNotFound = APIError.notFound("no job with this id")

    private func jobID(_ context: TenantRequestContext) throws -> JobID {
        guard let text = context.parameters.get("id"), let id = JobID(text) else { throw Self.jobNotFound }
        return id
    }
}
