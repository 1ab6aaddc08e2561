import JobModel
import JobServices

/// `order.confirmation`: sends the customer a confirmation, as a task of its own after the order commits.
///
/// Sending is simulated: the confirmation is appended to `orders:confirmations`. The first `failConfirmations`
/// attempts fail with `mail_unavailable` (`retryLater`) to show backoff; with four attempts allowed, three
/// failures still end in a sent confirmation and four or more leave the continuation failed.
struct SendConfirmationSubscriber: EventSubscriber {
    let name = "order.confirmation"
    let eventType = PlacedOrder.eventType
    let delivery = SubscriberDelivery.async
    let retryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(200), maxDelay: .seconds(2))

    func handle(_ event: DomainEvent, context: OperationContext) async throws {
        let order = try PlacedOrder(event: event)

        try await context.span("send mail") {
            let attempt = context.attempt
            if attempt <= order.failConfirmations {
                throw JobError(
                    code: "mail_unavailable",
                    message: "mail service unavailable (simulated failure \(attempt) of \(order.failConfirmations))",
                    action: .retryLater)
            }
        }

        try await context.span("record confirmation") {
            try context.stage(.listPush(key: OrderKeys.confirmations, value: "\(order.orderId):\(order.customer)"))
            try context.stage(.hashSet(key: OrderKeys.order(order.orderId), field: "confirmation", value: "sent"))
        }
    }
}
