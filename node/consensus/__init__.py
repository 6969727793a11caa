"""Consensus engines of the node; each lives in its own subpackage and never touches a socket or a clock."""
