"""Mail: composing outgoing messages and the transports that carry them."""
