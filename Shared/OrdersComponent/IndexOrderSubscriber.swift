import JobModel
import JobServices

/// `search.index`: makes a placed order findable by SKU and customer, as a task of its own after the order
/// commits.
///
/// With `failIndexing` every attempt fails with `index_unavailable`, so after its two attempts the
/// continuation stays failed while the order itself remains placed.
struct IndexOrderSubscriber: EventSubscriber {
    let name = "search.index"
    let eventType = PlacedOrder.eventType
    let delivery = SubscriberDelivery.async
    let retryPolicy = RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(100))
    let isTransactional = true

    func handle(_ event: DomainEvent, context: OperationContext) async throws {
        let order = try PlacedOrder(event: event)

        try await context.span("index order") {
            if order.failIndexing {
                throw JobError(
                    code: "index_unavailable", message: "search index unavailable (simulated: failIndexing is set)",
                    action: .retryLater)
            }
            try context.stage(
                .hashSet(key: OrderKeys.searchIndex, field: order.orderId, value: "\(order.sku) \(order.customer)"))
        }
    }
}
