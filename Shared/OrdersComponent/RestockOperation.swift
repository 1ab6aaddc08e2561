import JobModel
import JobServices

/// `order.restock`: adds `quantity` units of `sku` to the inventory, e.g. `{"sku": "A-1", "quantity": 10}`.
struct RestockOperation: JobOperation {
    let name = "order.restock"
    let description = "Adds input.quantity (1 to 1000000) units of input.sku to the orders inventory."
    let isTransactional = true

    static let quantities = 1...1_000_000

    func run(input: JSONValue, context: OperationContext) async throws -> JSONValue {
        let (sku, quantity) = try await context.span("validate") {
            let reader = try InputReader(input)
            return (try reader.identifier("sku"), try reader.integer("quantity", in: Self.quantities))
        }

        try await context.span("stage restock") {
            try context.stage(.hashIncrement(key: OrderKeys.inventory, field: sku, by: quantity))
        }

        return ["sku": .string(sku), "added": .int(quantity)]
    }
}
