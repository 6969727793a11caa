"""A local development network of node processes: ``permitchain devnet up|down|status``."""
