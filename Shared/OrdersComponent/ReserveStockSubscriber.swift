import JobModel
import JobServices

/// `stock.reserve`: takes the units of a placed order out of the inventory, inside the `order.place` task.
///
/// Being synchronous, its writes join the order's transaction, and its `out_of_stock` failure fails the whole
/// task with nothing applied.
///
/// The stock check reads committed state: neither this task's staged writes nor those of other running tasks
/// are visible. Two orders placed at the same moment for the last units can therefore both pass the check and
/// drive the stock below zero. The example accepts that to stay simple; a real shop would make the decrement
/// itself conditional inside the commit.
struct ReserveStockSubscriber: EventSubscriber {
    let name = "stock.reserve"
    let eventType = PlacedOrder.eventType
    let delivery = SubscriberDelivery.sync

    func handle(_ event: DomainEvent, context: OperationContext) async throws {
        let order = try PlacedOrder(event: event)

        try await context.span("check stock") {
            let inStock = try await Self.unitsInStock(of: order.sku, context: context)
            guard inStock >= order.quantity else {
                throw JobError(code: "out_of_stock", message: "only \(inStock) of \(order.sku) left", action: .fixInput)
            }
        }

        try await context.span("reserve") {
            try context.stage(.hashIncrement(key: OrderKeys.inventory, field: order.sku, by: -order.quantity))
            try context.stage(.hashSet(key: OrderKeys.order(order.orderId), field: "stock", value: "reserved"))
        }
    }

    /// The committed stock of `sku`; a SKU never restocked has none.
    static func unitsInStock(of sku: String, context: OperationContext) async throws -> Int {
        let stored: String?
        do {
            stored = try await context.readHashField(key: OrderKeys.inventory, field: sku)
        } catch let error as CancellationError {
            throw error
        } catch {
            // A read that did not reach Redis says nothing about the order, so the order is worth retrying.
            throw JobError(
                code: "inventory_unavailable", message: "could not read the stock of \(sku): \(error)",
                action: .retryLater)
        }
        guard let stored else { return 0 }
        guard let units = Int(stored) else {
            throw JobError(
                code: "corrupt_inventory", message: "stock of \(sku) is \"\(stored)\", not a number", action: .escalate)
        }
        return units
    }
}
