import Foundation
import Hummingbird
import Runtime

/// The jobs of every tenant, filtered by tenant, state and kind, newest first and paged; one
/// job's details; retry (failed or dead jobs, through `JobRuntime.retry`) and cancel (through
/// `JobRuntime.cancel`, as `POST /jobs/{id}/cancel` does).
extension Dashboard {
    func addJobRoutes(_ group: RouterGroup<AppRequestContext>) {
        group.get("/jobs") { request, _ in try await page(request) { try await jobsPage(request, $0) } }
        group.get("/jobs/{id}") { request, context in
            try await page(request) { session in
                guard let id = Self.jobID(context), let job = try await runtime.job(id) else {
                    return render("job", title: "Job", section: "Jobs", session: session, ["missing": true], status: .notFound)
                }
                var values = Self.jobValues(job)
                values["payload"] = String(decoding: job.payload.prefix(8_192), as: UTF8.self)
                values["result"] = job.result.map { String(decoding: $0.prefix(8_192), as: UTF8.self) } ?? ""
                return render("job", title: "Job \(job.id)", section: "Jobs", session: session, ["job": values])
            }
        }
        group.post("/jobs/{id}/retry") { request, context in
            try await action(request) { _, form in
                guard let id = Self.jobID(context) else { return DashboardResponse.plain(.notFound, "no such job") }
                switch try await runtime.retry(id) {
                case .notFound: return DashboardResponse.plain(.notFound, "no such job")
                case .retried, .notRetryable: return DashboardResponse.redirect(Self.returnPath(form, fallback: "/jobs/\(id)"))
                }
            }
        }
        group.post("/jobs/{id}/cancel") { request, context in
            try await action(request) { _, form in
                guard let id = Self.jobID(context) else { return DashboardResponse.plain(.notFound, "no such job") }
                if try await runtime.cancel(id) == .notFound { return DashboardResponse.plain(.notFound, "no such job") }
                return DashboardResponse.redirect(Self.returnPath(form, fallback: "/jobs/\(id)"))
            }
        }
    }

    static func jobID(_ context: AppRequestContext) -> JobID? {
        guard let text = context.parameters.get("id") else { return nil }
        return JobID(text)
    }

    /// Where a form sends the operator back to: a dashboard path it names, else `fallback`.
    static func returnPath(_ form: [String: String], fallback: String) -> String {
        if let back = form["back"], back.hasPrefix(base + "/") || back == base, !back.contains("//"), !back.contains("\\") { return back }
        return base + fallback
    }

    private func jobsPage(_ request: Request, _ session: DashboardSessions.Session) async throws -> Response {
        let tenant = Self.filter(request, "tenant"), kind = Self.filter(request, "kind")
        let stateText = Self.filter(request, "state")
        let state = stateText.flatMap(JobState.init(rawValue:))
        let filter = OperatorJobFilter(tenant: tenant, state: state, kind: kind)
        let result = try await runtime.jobs.operatorJobs(filter, before: request.uri.queryParameters["before"].flatMap { JobID($0) }, limit: Self.limit(request))
        var query = URLComponents()
        query.queryItems = [("tenant", tenant), ("state", state?.rawValue), ("kind", kind)].compactMap { name, value in
            value.map { URLQueryItem(name: name, value: $0) }
        }
        let filterQuery = query.percentEncodedQuery.map { "&" + $0 } ?? ""
        let back = Self.base + "/jobs" + (query.percentEncodedQuery.map { "?" + $0 } ?? "")
        let states = JobState.allCases.map { ["name": $0.rawValue, "selected": $0 == state] as [String: Any] }
        var values: [String: Any] = [
            "jobs": result.jobs.map(Self.jobValues), "empty": result.jobs.isEmpty, "tenant": tenant ?? "", "kind": kind ?? "",
            "states": states, "back": back, "windowEnded": result.windowEnded, "window": OperatorJobPage.scanWindow,
        ]
        if let next = result.nextBefore { values["next"] = Self.base + "/jobs?before=\(next)" + filterQuery }
        if stateText != nil, state == nil { values["badState"] = stateText }
        return render("jobs", title: "Jobs", section: "Jobs", session: session, values)
    }

    static func jobValues(_ job: JobRecord) -> [String: Any] {
        var values: [String: Any] = [
            "id": job.id.description, "tenant": job.tenant, "kind": job.kind, "state": job.state.rawValue,
            "attempts": "\(job.attempts)/\(job.maxAttempts)", "created": DashboardFormat.time(job.createdAt),
            "updated": DashboardFormat.time(job.updatedAt), "runAt": DashboardFormat.time(job.runAt),
            "retryable": job.state == .failed || job.state == .dead, "cancellable": !job.state.isTerminal,
        ]
        if let error = job.lastError { values["lastError"] = String(error.prefix(300)) }
        if let batch = job.batchID { values["batch"] = batch }
        if let finished = job.finishedAt { values["finished"] = DashboardFormat.time(finished) }
        return values
    }
}
