"""pixi.toml is the GPU users' way in: it must be a manifest pixi accepts."""

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "schemas" / "pixi-manifest.schema.json"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return tomllib.loads((ROOT / "pixi.toml").read_text())


@pytest.mark.skipif(not SCHEMA.exists(), reason="../shared/schemas is not beside this checkout")
def test_pixi_manifest_matches_schema(manifest):
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(manifest, schema)


def test_pixi_has_the_tasks_users_type(manifest):
    assert {"medtui", "test"} <= set(manifest["tasks"])


def test_pixi_takes_a_cuda_torch_of_the_pinned_version(manifest):
    torch = manifest["pypi-dependencies"]["torch"]
    assert torch["version"] == "==2.13.0"
    assert "cu1" in torch["index"]


def test_pixi_stack_matches_pyproject(manifest):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert manifest["pypi-dependencies"]["medtui"]["path"] == "."
    assert "torch" not in " ".join(pyproject["project"]["dependencies"]), "torch must come from the CPU wheel or pixi"


def test_schema_rejects_a_broken_manifest(manifest):
    schema = json.loads(SCHEMA.read_text()) if SCHEMA.exists() else pytest.skip("no schema")
    broken = dict(manifest, workspace={k: v for k, v in manifest["workspace"].items() if k != "channels"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
