import JobModel
import JobServices

/// `order.place`: records an order and publishes `order.placed`.
///
/// Input: `{"orderId": "o-1", "sku": "A-1", "quantity": 2, "customer": "ada"}`, plus two switches that make
/// the continuations misbehave on purpose: `failConfirmations` (0 to 10, how many first attempts of
/// `order.confirmation` fail) and `failIndexing` (`search.index` always fails).
///
/// The order's writes, the event and the stock reservation of the synchronous `stock.reserve` subscriber commit
/// together or not at all: an order for more than is in stock fails with `out_of_stock` and leaves no trace.
/// Placing an id again overwrites that order and reserves its stock a second time.
struct PlaceOrderOperation: JobOperation {
    let name = "order.place"
    let description = "Places input.quantity of input.sku for input.customer as order input.orderId."
    let isTransactional = true

    func run(input: JSONValue, context: OperationContext) async throws -> JSONValue {
        let order = try await context.span("validate") { try PlacedOrder(input: input) }

        try await context.span("stage order") {
            let key = OrderKeys.order(order.orderId)
            try context.stage(.hashSet(key: key, field: "sku", value: order.sku))
            try context.stage(.hashSet(key: key, field: "quantity", value: String(order.quantity)))
            try context.stage(.hashSet(key: key, field: "customer", value: order.customer))
            try context.stage(.hashSet(key: key, field: "status", value: "placed"))
            try context.stage(.setAdd(key: OrderKeys.allOrders, member: order.orderId))
        }

        try await context.publish(PlacedOrder.eventType, payload: order.payload)

        return ["orderId": .string(order.orderId), "status": "placed"]
    }
}

/// An order as `order.place` accepts it, and as the `order.placed` event carries it to the subscribers.
struct PlacedOrder: Sendable, Equatable {
    static let eventType = "order.placed"
    static let quantities = 1...1000
    static let failableConfirmations = 0...10

    var orderId: String
    var sku: String
    var quantity: Int
    var customer: String
    /// How many first attempts of `order.confirmation` fail.
    var failConfirmations: Int
    /// Whether every attempt of `search.index` fails.
    var failIndexing: Bool

    /// Checks the input of `order.place`, failing with `invalid_input` (`fixInput`).
    init(input: JSONValue) throws(JobError) {
        let reader = try InputReader(input)
        orderId = try reader.identifier("orderId")
        sku = try reader.identifier("sku")
        quantity = try reader.integer("quantity", in: Self.quantities)
        customer = try reader.text("customer", maxLength: 128)
        failConfirmations = try reader.integer("failConfirmations", in: Self.failableConfirmations, default: 0)
        failIndexing = try reader.flag("failIndexing", default: false)
    }

    /// Reads an `order.placed` event. A payload that does not read is a fault of its publisher, not of the
    /// caller's input, so it escalates.
    init(event: DomainEvent) throws(JobError) {
        do {
            try self.init(input: event.payload)
        } catch {
            throw JobError(
                code: "invalid_event", message: "\(event.type) payload: \(error.message)", action: .escalate)
        }
    }

    var payload: JSONValue {
        [
            "orderId": .string(orderId), "sku": .string(sku), "quantity": .int(quantity),
            "customer": .string(customer), "failConfirmations": .int(failConfirmations),
            "failIndexing": .bool(failIndexing),
        ]
    }
}
