import Foundation
import HTTPTypes
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Runtime
import Testing

@Suite("Schedules API")
struct SchedulesAPITests {
    @Test("create, replace, list, run now and delete a schedule with the internal key")
    func lifecycle() async throws {
        let harness = try await Harness.make()
        let key = TestKeys.internalKey
        try await harness.test { client in
            let body = #"{"cron":"*/5 * * * *","timezone":"Europe/Paris","kind":"noop","payload":{"n":1},"catchUp":"skip"}"#
            let created = try await client.send(.put, "/cpaas/v1/jobs/schedules/report.daily", internalKey: key, json: body)
            #expect(created.status == .created)
            let schedule = try #require(try ParsedEnvelope(created).dataObject)
            #expect(schedule["cron"] as? String == "*/5 * * * *")
            #expect(schedule["timezone"] as? String == "Europe/Paris")
            #expect(schedule["catchUp"] as? String == "skip")
            #expect(schedule["nextFireAt"] is String)
            #expect((schedule["payload"] as? [String: Any])?["n"] as? Int == 1)

            let replaced = try await client.send(.put, "/cpaas/v1/jobs/schedules/report.daily", internalKey: key,
                                                 json: #"{"cron":"@hourly","kind":"noop","enabled":false}"#)
            #expect(replaced.status == .ok)
            #expect(try ParsedEnvelope(replaced).dataObject?["enabled"] as? Bool == false)

            let list = try #require(try ParsedEnvelope(try await client.get("/cpaas/v1/jobs/schedules", headers: [.init("x-internal-api-key")!: key])).dataArray)
            #expect(list.contains { $0["name"] as? String == "report.daily" })

            let run = try await client.send(.post, "/cpaas/v1/jobs/schedules/report.daily/run", internalKey: key)
            #expect(run.status == .accepted)
            #expect(try ParsedEnvelope(run).dataObject?["kind"] as? String == "noop")

            #expect(try await client.send(.delete, "/cpaas/v1/jobs/schedules/report.daily", internalKey: key).status == .ok)
            #expect(try await client.send(.delete, "/cpaas/v1/jobs/schedules/report.daily", internalKey: key).status == .notFound)
            #expect(try await client.send(.post, "/cpaas/v1/jobs/schedules/report.daily/run", internalKey: key).status == .notFound)
        }
    }

    @Test("bad schedules are 400 naming the field, and nothing is saved", arguments: [
        ("ok", #"{"cron":"61 * * * *","kind":"noop"}"#, "cron"),
        ("ok", #"{"cron":"* * * *","kind":"noop"}"#, "cron"),
        ("ok", #"{"cron":"@every 0s","kind":"noop"}"#, "cron"),
        ("ok", #"{"cron":"* * * * *","kind":"noop","timezone":"Mars/Olympus"}"#, "timezone"),
        ("ok", #"{"cron":"* * * * *","kind":"no.such.kind"}"#, "kind"),
        ("ok", #"{"cron":"* * * * *","kind":"noop","catchUp":"all:0"}"#, "catchUp"),
        ("ok", #"{"cron":"* * * * *","kind":"noop","enabled":"yes"}"#, "enabled"),
        ("ok", #"{"kind":"noop"}"#, "cron"),
        ("bad name!", #"{"cron":"* * * * *","kind":"noop"}"#, "name"),
        ("ok", #"{"cron":"@every 1s","kind":"noop"}"#, "cron"),
        ("ok", #"{"cron":"@every 59s","kind":"noop"}"#, "cron"),
        ("ok", #"{"cron":"@daily","kind":"inference.batch.finalize","payload":{},"tenant":"t1"}"#, "payload.batch"),
        ("ok", #"{"cron":"@daily","kind":"inference.batch.finalize","payload":{"batch":7},"tenant":"t1"}"#, "payload.batch"),
        ("ok", #"{"cron":"@daily","kind":"inference.batch.finalize","payload":{"batch":"b"}}"#, "tenant"),
        ("ok", #"{"cron":"@daily","kind":"inference.batch.finalize","payload":{"batch":"b"},"tenant":"system"}"#, "tenant"),
    ])
    func badSchedules(name: String, body: String, field: String) async throws {
        // (the interval, payload and tenant cases are checked when the schedule is saved, not when it fires)
        let harness = try await Harness.make()
        try await harness.test { client in
            let path = "/cpaas/v1/jobs/schedules/" + (name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name)
            let response = try await client.send(.put, path, internalKey: TestKeys.internalKey, json: body)
            #expect(response.status == .badRequest)
            #expect(try ParsedEnvelope(response).errorField == field)
            #expect(try await harness.runtime.scheduler.schedule(named: name) == nil)
        }
    }

    @Test("a minute interval runs without a tenant for the server's own kinds; other kinds run with a tenant and a payload that decodes")
    func accepted() async throws {
        let harness = try await Harness.make()
        try await harness.test { client in
            let base = "/cpaas/v1/jobs/schedules/"
            for (name, body) in [("ping", #"{"cron":"@every 1m","kind":"noop"}"#),
                                 ("final", #"{"cron":"@daily","kind":"inference.batch.finalize","payload":{"batch":"b"},"tenant":"t1"}"#)] {
                let response = try await client.send(.put, base + name, internalKey: TestKeys.internalKey, json: body)
                #expect(response.status == .created, "\(name): \(String(buffer: response.body))")
            }
        }
    }
}
