import JobModel
import JobServices

/// The orders example: one command that uses every layer (task, transaction, events, sync and async
/// subscribers).
///
/// `order.place` records an order and publishes `order.placed`. In the same transaction the synchronous
/// `stock.reserve` subscriber takes the units out of the inventory, or fails the whole task when there are too
/// few. After the commit, `order.confirmation` and `search.index` run as tasks of their own, each retried
/// under its own policy. `order.restock` fills the inventory.
public enum OrdersComponent {
    /// Adds the orders operations and subscribers to `registry`.
    public static func register(into registry: inout OperationRegistry) {
        registry.register(RestockOperation())
        registry.register(PlaceOrderOperation())
        registry.register(ReserveStockSubscriber())
        registry.register(SendConfirmationSubscriber())
        registry.register(IndexOrderSubscriber())
    }
}

/// The application keys the orders example writes, relative to the namespace (`orders:inventory` is
/// `cncf:orders:inventory` under the default namespace).
enum OrderKeys {
    /// Hash: SKU → units in stock.
    static let inventory = "orders:inventory"
    /// Set of every placed order id.
    static let allOrders = "orders:all"
    /// List of `<orderId>:<customer>`, one per confirmation sent.
    static let confirmations = "orders:confirmations"
    /// Hash: order id → `<sku> <customer>`, the text a search would match.
    static let searchIndex = "orders:search"

    /// Hash of one order: `sku`, `quantity`, `customer`, `status`, then `stock` and `confirmation` as the
    /// subscribers get to it.
    static func order(_ orderId: String) -> String { "orders:order:\(orderId)" }
}
