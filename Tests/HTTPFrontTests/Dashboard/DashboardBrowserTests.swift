import Foundation
@testable import HTTPFront
import Hummingbird
import HummingbirdTesting
import Jobs
import Runtime
import Testing

/// The dashboard in a real browser: headless Chromium signs in through the form, opens every
/// page and sees its data (a job's id, a batch's progress, a wallet's balance, a message's
/// body as text), and a retry button retries a dead job. Without Chromium this fails.
@Suite(.serialized) struct DashboardBrowserTests {
    @Test("Chromium signs in through the form, sees each page's data, and retries a dead job", .timeLimit(.minutes(5)))
    func browser() async throws {
        let harness = try await Harness.make(developmentMode: true)
        let token = try await harness.token()
        let chromium = try await HeadlessChromium.launch()
        try await harness.test(.live) { client in
            let port = try #require(client.port)
            let base = "http://127.0.0.1:\(port)"
            // A wallet nothing spends from, so its balance is exactly what was credited.
            _ = try await harness.runtime.wallets.credit(MicroUSD(usd: 42), to: .team("tenant-with-42"), reference: "browser-test")
            _ = try await harness.runtime.wallets.credit(MicroUSD(usd: 5), to: .team(TestKeys.tenant), reference: "browser-test")
            let dead = try await DashboardTest.deadJob(harness.runtime)
            let batch = try await client.send(.post, "/llm-orch/v1/inference/batches", token: token,
                                              json: #"{"items":[{"customId":"a","prompt":"hi","maxTokens":8},{"customId":"b","prompt":"yo","maxTokens":8}]}"#)
            #expect(batch.status == .accepted)
            let batchID = try #require(try ParsedEnvelope(batch).dataObject?["id"] as? String)
            let message = try await client.send(.post, "/cpaas/v1/messages", token: token,
                                                json: #"{"channel":"sms","to":"+14155550100","body":"<script>window.pwned=1</script>hello"}"#)
            #expect(message.status == .accepted)

            try await chromium.withPage { page in
                try await page.navigate(base + "/dashboard")
                #expect(try await page.evaluate("location.pathname") == "/dashboard/sign-in", "no session: the sign-in form")

                try await page.loading {
                    _ = try await page.evaluate("document.getElementById('key').value = 'wrong-key'; document.querySelector('form.sign-in button').click(); 1")
                }
                #expect(try await page.text().contains("That is not the internal API key."))

                try await page.loading {
                    _ = try await page.evaluate("document.getElementById('key').value = '\(TestKeys.internalKey)'; document.querySelector('form.sign-in button').click(); 1")
                }
                #expect(try await page.evaluate("location.pathname") == "/dashboard")
                #expect(try await page.text().contains("Queue depth"))
                #expect(try await page.evaluate("String(document.querySelectorAll('#charts svg polyline').length > 0)") == "true")

                try await page.navigate(base + "/dashboard/jobs?state=dead")
                #expect(try await page.text().contains(dead.description), "the dead job's id")
                try await page.loading {
                    _ = try await page.evaluate("document.querySelector('tr[data-job=\"\(dead)\"] button.retry').click(); 1")
                }
                #expect(try await page.evaluate("location.pathname + location.search") == "/dashboard/jobs?state=dead")

                try await page.navigate(base + "/dashboard/batches")
                let batches = try await page.text()
                #expect(batches.contains(batchID))
                #expect(try await page.evaluate("document.querySelector('tr[data-batch=\"\(batchID)\"] [data-progress]').textContent").hasSuffix("/ 2"))

                try await page.navigate(base + "/dashboard/wallets?tenant=tenant-with-42")
                #expect(try await page.evaluate("document.querySelector('[data-balance]').textContent") == "$42.00")

                try await page.navigate(base + "/dashboard/messages")
                #expect(try await page.text().contains("<script>window.pwned=1</script>hello"), "the body as text")
                #expect(try await page.evaluate("String(window.pwned)") == "undefined", "and not run")

                try await page.navigate(base + "/dashboard/providers")
                #expect(try await page.text().contains("simulated"))
                try await page.navigate(base + "/dashboard/schedules")
                #expect(try await page.text().contains("@every 10m"), "the idempotency purge schedule")
            }
            let retried = try #require(try await harness.runtime.job(dead))
            #expect(retried.state != .dead, "the retry button retried the job")
            #expect(retried.maxAttempts == 2)
        }
    }
}
