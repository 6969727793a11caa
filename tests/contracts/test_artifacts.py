"""The committed artifacts are exactly what the pinned compiler makes of the committed sources."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import vyper

from contracts.artifacts import ARTIFACTS_DIR, CONTRACT_NAMES, SOURCES_DIR, load_artifact, render_artifact
from contracts.compile import check_artifacts, compile_contract, write_artifacts
from contracts.exceptions import ArtifactError, CompileError


@pytest.fixture(scope="session")
def fresh_artifacts():
    """Compile once per session: the Vyper compiler is the slow part of this package's tests."""
    return {name: compile_contract(name) for name in CONTRACT_NAMES}


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_committed_artifact_equals_fresh_compile(name, fresh_artifacts):
    committed = (ARTIFACTS_DIR / f"{name}.json").read_text(encoding="utf-8")
    assert committed == render_artifact(fresh_artifacts[name])


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_artifact_records_compiler_and_source(name):
    artifact = load_artifact(name)
    source = (SOURCES_DIR / f"{name}.vy").read_bytes()
    assert artifact.compiler_version == vyper.__version__ == "0.4.3"
    assert artifact.evm_version == "cancun"
    assert b"#pragma evm-version cancun" in source
    assert artifact.source_sha256 == hashlib.sha256(source).hexdigest()
    assert artifact.bytecode.startswith("0x") and len(artifact.bytecode) > 1000
    assert artifact.bytecode_runtime.startswith("0x")
    assert any(item.get("type") == "event" for item in artifact.abi)


def test_check_reports_a_stale_artifact(tmp_path: Path, fresh_artifacts):
    write_artifacts(artifacts_dir=tmp_path)
    assert all(c.up_to_date for c in check_artifacts(artifacts_dir=tmp_path))
    stale = tmp_path / "PermitRegistry.json"
    data = json.loads(stale.read_text(encoding="utf-8"))
    data["bytecode"] = data["bytecode"][:-2] + "00"
    stale.write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "IssuerRegistry.json").unlink()
    checks = {c.name: c.up_to_date for c in check_artifacts(artifacts_dir=tmp_path)}
    assert checks == {"IssuerRegistry": False, "PermitRegistry": False}


def test_compile_error_is_reported_clearly(tmp_path: Path):
    (tmp_path / "IssuerRegistry.vy").write_text("#pragma version ~=0.4.3\nx: uint256 = 1\n", encoding="utf-8")
    with pytest.raises(CompileError, match=r"contracts/src/IssuerRegistry\.vy"):
        compile_contract("IssuerRegistry", sources_dir=tmp_path)
    with pytest.raises(CompileError, match="source not found"):
        compile_contract("PermitRegistry", sources_dir=tmp_path)


def test_load_artifact_errors(tmp_path: Path):
    with pytest.raises(ArtifactError, match="unknown contract"):
        load_artifact("Token")
    with pytest.raises(ArtifactError, match="artifact not found"):
        load_artifact("PermitRegistry", tmp_path)
    (tmp_path / "PermitRegistry.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ArtifactError, match="not valid JSON"):
        load_artifact("PermitRegistry", tmp_path)
    (tmp_path / "PermitRegistry.json").write_text(json.dumps({"abi": []}), encoding="utf-8")
    with pytest.raises(ArtifactError, match="not a contract artifact"):
        load_artifact("PermitRegistry", tmp_path)
    issuer = json.loads((ARTIFACTS_DIR / "IssuerRegistry.json").read_text(encoding="utf-8"))
    (tmp_path / "PermitRegistry.json").write_text(json.dumps(issuer), encoding="utf-8")
    with pytest.raises(ArtifactError, match="expected 'PermitRegistry'"):
        load_artifact("PermitRegistry", tmp_path)
