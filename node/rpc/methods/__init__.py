"""JSON-RPC methods, one module per namespace; each module builds a :class:`node.rpc.dispatch.Namespace`."""
