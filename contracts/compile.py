"""Compile ``contracts/src/*.vy`` with the pinned Vyper into the committed artifacts.

The EVM version is fixed by each source's ``#pragma evm-version`` (Cancun: the oldest fork the node
may run that Vyper 0.4 targets well), so the output does not change with the compiler's default.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import vyper
from vyper.exceptions import VyperException

from contracts.artifacts import (
    ARTIFACTS_DIR,
    CONTRACT_NAMES,
    SOURCES_DIR,
    Artifact,
    artifact_path,
    render_artifact,
)
from contracts.exceptions import CompileError

EVM_VERSION = "cancun"


def compile_contract(name: str, sources_dir: Path = SOURCES_DIR) -> Artifact:
    """Compile one contract; raise :class:`CompileError` with the compiler's message on failure."""
    path = sources_dir / f"{name}.vy"
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CompileError(f"source not found: {path}") from exc
    return _compile_source(name, source)


@functools.lru_cache(maxsize=16)
def _compile_source(name: str, source: str) -> Artifact:
    """Compile one source text; cached because the same text always gives the same artifact and a
    check followed by a write (or a test session) would otherwise pay the compiler twice."""
    relative = f"contracts/src/{name}.vy"
    try:
        out = vyper.compile_code(
            source,
            contract_path=relative,
            output_formats=["abi", "bytecode", "bytecode_runtime"],
        )
    except VyperException as exc:
        raise CompileError(f"{relative}: {exc}") from exc
    return Artifact(
        contract_name=name,
        abi=list(out["abi"]),
        bytecode=str(out["bytecode"]),
        bytecode_runtime=str(out["bytecode_runtime"]),
        compiler_version=vyper.__version__,
        evm_version=EVM_VERSION,
        source_path=relative,
        source_sha256=hashlib.sha256(source.encode("utf-8")).hexdigest(),
    )


@dataclass(frozen=True, slots=True)
class ArtifactCheck:
    """Whether one committed artifact equals a fresh compile."""

    name: str
    path: Path
    up_to_date: bool


def check_artifacts(
    sources_dir: Path = SOURCES_DIR, artifacts_dir: Path = ARTIFACTS_DIR
) -> list[ArtifactCheck]:
    results = []
    for name in CONTRACT_NAMES:
        path = artifact_path(name, artifacts_dir)
        fresh = render_artifact(compile_contract(name, sources_dir))
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        results.append(ArtifactCheck(name=name, path=path, up_to_date=current == fresh))
    return results


def write_artifacts(sources_dir: Path = SOURCES_DIR, artifacts_dir: Path = ARTIFACTS_DIR) -> list[Path]:
    """Compile every contract and (re)write its artifact; returns the paths written."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in CONTRACT_NAMES:
        path = artifact_path(name, artifacts_dir)
        path.write_text(render_artifact(compile_contract(name, sources_dir)), encoding="utf-8")
        written.append(path)
    return written
