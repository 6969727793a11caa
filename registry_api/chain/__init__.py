"""The registry service's way onto the chain: RPC failover, the registrar's encrypted key, nonces, sending.

``gateway.RpcGateway`` runs a call against the first RPC URL that answers; ``keystore`` opens the
registrar's eth-account keystore; ``nonces.NonceBook`` hands out nonces per account under one lock;
``sender.RegistrarSender`` signs, records and broadcasts a transaction and waits for finality.
"""
