"""Make eth-hash use the C keccak of ``safe-pysha3`` rather than pycryptodome's.

Why: eth-hash takes pycryptodome whenever it is installed, and the project must install pycryptodome
(RC2-40 bags in NCA PKCS#12 containers). Its keccak goes through ctypes and costs about 13 µs per
hash against about 2 µs for the C extension; hashing trie nodes is then the largest single cost of
executing a block (a fifth of the node's CPU time under an anchoring load). eth-hash reads
``ETH_HASH_BACKEND`` when it hashes for the first time, and py-evm hashes while it is imported, so
this runs from the package ``__init__`` of ``permitchain`` and ``node``, before either imports py-evm.
A backend the user chose in the environment is left alone.
"""

from __future__ import annotations

import importlib.util
import os

BACKEND_VARIABLE = "ETH_HASH_BACKEND"


def prefer_c_keccak() -> str | None:
    """Select eth-hash's ``pysha3`` backend unless one is chosen already; return the choice in force."""
    if BACKEND_VARIABLE not in os.environ and importlib.util.find_spec("sha3") is not None:
        os.environ[BACKEND_VARIABLE] = "pysha3"
    return os.environ.get(BACKEND_VARIABLE)
