"""Typed access to the compiled registry contracts committed under ``contracts/artifacts``.

Other parts (node tests, the registry API, the ethers.js flow) deploy and call the contracts from these
files, so they never need the Vyper compiler at run time; ``contracts.compile`` rewrites them and a test
proves they equal a fresh compile of ``contracts/src``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.exceptions import ArtifactError

ARTIFACTS_DIR = Path(__file__).with_name("artifacts")
SOURCES_DIR = Path(__file__).with_name("src")
CONTRACT_NAMES: tuple[str, ...] = ("IssuerRegistry", "PermitRegistry")


@dataclass(frozen=True, slots=True)
class Artifact:
    """One contract as compiled: what a client needs to deploy it and to talk to it."""

    contract_name: str
    abi: list[dict[str, Any]]
    bytecode: str
    bytecode_runtime: str
    compiler_version: str
    evm_version: str
    source_path: str
    source_sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "contract_name": self.contract_name,
            "compiler": {"name": "vyper", "version": self.compiler_version, "evm_version": self.evm_version},
            "source_path": self.source_path,
            "source_sha256": self.source_sha256,
            "abi": self.abi,
            "bytecode": self.bytecode,
            "bytecode_runtime": self.bytecode_runtime,
        }

    @classmethod
    def from_json(cls, data: Any, *, where: str) -> Artifact:
        try:
            compiler = data["compiler"]
            artifact = cls(
                contract_name=str(data["contract_name"]),
                abi=list(data["abi"]),
                bytecode=str(data["bytecode"]),
                bytecode_runtime=str(data["bytecode_runtime"]),
                compiler_version=str(compiler["version"]),
                evm_version=str(compiler["evm_version"]),
                source_path=str(data["source_path"]),
                source_sha256=str(data["source_sha256"]),
            )
        except (KeyError, TypeError) as exc:
            raise ArtifactError(f"{where}: not a contract artifact (missing {exc})") from exc
        if not artifact.bytecode.startswith("0x") or len(artifact.bytecode) <= 2:
            raise ArtifactError(f"{where}: bytecode must be non-empty 0x-prefixed hex")
        return artifact


def artifact_path(name: str, directory: Path = ARTIFACTS_DIR) -> Path:
    if name not in CONTRACT_NAMES:
        raise ArtifactError(f"unknown contract {name!r} (known: {', '.join(CONTRACT_NAMES)})")
    return directory / f"{name}.json"


def render_artifact(artifact: Artifact) -> str:
    """The exact text stored on disk: stable key order so a fresh compile compares byte for byte."""
    return json.dumps(artifact.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_artifact(name: str, directory: Path = ARTIFACTS_DIR) -> Artifact:
    """Load the committed artifact of ``IssuerRegistry`` or ``PermitRegistry``."""
    path = artifact_path(name, directory)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(f"artifact not found: {path} (run `permitchain contracts compile`)") from exc
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path}: not valid JSON: {exc}") from exc
    artifact = Artifact.from_json(data, where=str(path))
    if artifact.contract_name != name:
        raise ArtifactError(f"{path}: holds {artifact.contract_name!r}, expected {name!r}")
    return artifact
