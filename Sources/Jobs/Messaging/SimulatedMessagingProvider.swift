import Foundation
import Synchronization

/// The in-process messaging provider for development, tests and load: sends every channel at
/// once (or fails at a configured rate, deterministically), remembers the ids it was given so a
/// resend is not a second delivery, and lists a fixed set of templates in pages.
public final class SimulatedMessagingProvider: MessagingProvider {
    public struct Configuration: Sendable, Equatable {
        /// Share of sends that fail transiently (0…1), chosen by a seeded sequence.
        public var transientFailureRate: Double
        public var templates: [ProviderTemplate]
        public var pageSize: Int

        public init(transientFailureRate: Double = 0, templates: [ProviderTemplate] = SimulatedMessagingProvider.sampleTemplates,
                    pageSize: Int = 20) {
            self.transientFailureRate = transientFailureRate
            self.templates = templates
            self.pageSize = max(1, pageSize)
        }
    }

    public let id: String
    public var name: String { "Simulated" }
    public let channels: Set<Channel> = Set(Channel.allCases)
    private let configuration: Configuration
    private let state = Mutex(State())

    private struct State {
        var sends = 0
        var delivered: [String: String] = [:]
    }

    public init(id: String = "simulated", configuration: Configuration = Configuration()) {
        self.id = id
        self.configuration = configuration
    }


    public func send(_ message: OutgoingMessage) async throws(MessagingError) -> SendReceipt {
        let outcome: Result<String, MessagingError> = state.withLock { state in
            if let known = state.delivered[message.id] { return .success(known) }
            state.sends += 1
            if configuration.transientFailureRate > 0, DeterministicDraw.unit(state.sends) < configuration.transientFailureRate {
                return .failure(MessagingError(.transient, code: "503", "simulated outage"))
            }
            let providerID = "SIM" + String(state.sends, radix: 16)
            state.delivered[message.id] = providerID
            return .success(providerID)
        }
        switch outcome {
        case .success(let providerID): return SendReceipt(providerMessageID: providerID, providerStatus: "delivered")
        case .failure(let error): throw error
        }
    }

    public func templates(page: String?) async throws(MessagingError) -> TemplatePage {
        let start = page.flatMap(Int.init) ?? 0
        guard start >= 0, start <= configuration.templates.count else { throw MessagingError(.permanent, code: "400", "bad page cursor") }
        let end = min(start + configuration.pageSize, configuration.templates.count)
        return TemplatePage(templates: Array(configuration.templates[start..<end]),
                            next: end < configuration.templates.count ? String(end) : nil)
    }


    /// What the development server lists: a WhatsApp template approved and one pending, an SMS
    /// and an email template.
    public static let sampleTemplates: [ProviderTemplate] = [
        ProviderTemplate(providerTemplateID: "SIM-T1", name: "order_shipped", language: "en", channel: .whatsapp, category: "utility",
                         approval: "approved", variables: ["1", "2"], body: "Hi {{1}}, your order {{2}} has shipped."),
        ProviderTemplate(providerTemplateID: "SIM-T2", name: "spring_sale", language: "en", channel: .whatsapp, category: "marketing",
                         approval: "pending", variables: ["1"], body: "{{1}}, our spring sale starts today."),
        ProviderTemplate(providerTemplateID: "SIM-T3", name: "login_code", language: "en", channel: .sms, category: nil,
                         approval: "approved", variables: ["code"], body: "Your code is {{code}}."),
        ProviderTemplate(providerTemplateID: "SIM-T4", name: "welcome", language: "en", channel: .email, category: nil,
                         approval: "approved", variables: ["first_name"], body: "Welcome, {{first_name}}!"),
    ]
}
