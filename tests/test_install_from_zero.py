"""Install from zero: what a fresh machine gets from pyproject.toml is all medtui needs.

The machine that built medtui had the embedded model materialized in its cache long ago, so the
path that reads the bundled GGUF (which needs the `gguf` package) never ran, and nothing declared
`gguf`. These tests run that first-use path into an empty cache and check that every package medtui
imports, or that the libraries import on its behalf, comes with what pyproject.toml declares.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# torch is installed by scripts/setup.sh (CPU) or pixi (CUDA) before medtui, never through pyproject.toml.
INSTALLED_BEFORE = ["torch"]


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def declared() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def direct_names() -> set[str]:
    """The declared dependencies that apply to this interpreter (tomli only before Python 3.11)."""
    from packaging.requirements import Requirement

    requirements = [Requirement(text) for text in declared()]
    return {_name(r.name) for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})}


def closure() -> set[str]:
    """Every distribution pip installs for the declared dependencies (extras left out), by name."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = [Requirement(text) for text in declared()] + [Requirement(name) for name in INSTALLED_BEFORE]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = _name(req.name)
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(req.name) or []:
            todo.append(Requirement(text))
    return seen


def distributions_of(modules) -> dict[str, set[str]]:
    """Top-level module -> the distributions providing it, for every module outside the standard library."""
    providers = metadata.packages_distributions()
    found = {}
    for module in modules:
        top = module.split(".")[0]
        if not top or top in sys.stdlib_module_names or top in ("medtui", "__main__", "_distutils_hack"):
            continue
        if top.startswith("_") and top[1:] in sys.stdlib_module_names:
            continue
        if top in providers:
            found[top] = {_name(d) for d in providers[top]}
    return found


def medtui_imports() -> set[str]:
    names = set()
    for path in (ROOT / "medtui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return names


def test_every_package_medtui_imports_is_declared_in_pyproject():
    direct = direct_names() | {_name(n) for n in INSTALLED_BEFORE}
    undeclared = {module: dists for module, dists in distributions_of(medtui_imports()).items()
                  if not dists & direct}
    assert not undeclared, f"imported by medtui but not declared in pyproject.toml dependencies: {undeclared}"


def test_the_declared_closure_is_what_is_installed_here():
    """The check below is only as good as the metadata it walks: every declared package is installed."""
    missing = [name for name in direct_names() if not _installed(name)]
    assert not missing, f"declared but not installed in this environment: {missing}"


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


# The first use, as a new user meets it: `medtui data preview` on the sample data with nothing in the
# cache (the embedded model is materialized from the bundled GGUF on the way), then the materialized
# folder loaded with plain transformers as any model folder, and a few tokens generated from it; then
# every medtui module and the training, export and TUI libraries' entry points are imported.
FIRST_USE = r"""
import json, sys
from pathlib import Path
from medtui.cli import main

code = main(["data", "preview", "data/medical_instruction.jsonl", "--record", "1", "--json"])
if code:
    sys.exit(f"medtui data preview ended with exit code {code}")
from medtui.models import embedded_model_dir
folder = embedded_model_dir()
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
tokenizer = AutoTokenizer.from_pretrained(folder)
model = AutoModelForCausalLM.from_pretrained(folder)
prompt = tokenizer.apply_chat_template([{"role": "user", "content": "What is a fever?"}], add_generation_prompt=True,
                                       return_tensors="pt", return_dict=True)
out = model.generate(**prompt, max_new_tokens=8, do_sample=False)
answer = tokenizer.decode(out[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True)

# Every other stage's modules and the library entry points they use import here too.
import importlib, pkgutil, medtui
for module in pkgutil.walk_packages(medtui.__path__, "medtui."):
    if module.name != "medtui.__main__":  # that one runs the command line
        importlib.import_module(module.name)
from trl import SFTConfig, SFTTrainer
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import BitsAndBytesConfig
import bitsandbytes, accelerate, datasets, llama_cpp, textual_plotext
print(json.dumps({"code": code, "folder": str(folder), "type": model.config.model_type,
                  "parameters": model.num_parameters(), "answer": answer, "modules": sorted(sys.modules)}))
"""


def fresh_site(folder: Path) -> Path:
    """A site-packages holding only what pyproject.toml brings (links into this environment's): what
    a fresh machine has, without the packages other work installed here (lm-eval, scikit-learn, ...)."""
    view = folder / "site-packages"
    view.mkdir()
    for name in sorted(closure()):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - test_the_declared_closure_... says so
            continue
        for top in sorted({Path(f).parts[0] for f in dist.files or []}):
            if top in ("..", "__pycache__") or top.endswith(".pth") or (view / top).exists():
                continue
            source = Path(dist.locate_file(top))
            if source.exists():
                (view / top).symlink_to(source)
    return view


@pytest.mark.slow
def test_first_use_materializes_the_embedded_model_into_an_empty_cache(tmp_path):
    cache = tmp_path / "medtui-cache"
    site = fresh_site(tmp_path)
    env = {**os.environ, "MEDTUI_CACHE": str(cache), "HF_HOME": str(tmp_path / "hf"),
           "XDG_CACHE_HOME": str(tmp_path / "xdg"), "HF_HUB_OFFLINE": "1", "PYTHONPATH": f"{ROOT}{os.pathsep}{site}"}
    assert not cache.exists()
    # -S: no site-packages but the fresh one; a package pyproject.toml does not bring cannot be imported
    done = subprocess.run([sys.executable, "-S", "-c", FIRST_USE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr[-3000:]
    folder = Path(result["folder"])
    assert folder.parent.parent == cache  # the empty cache, not the machine's own
    assert (folder / "model.safetensors").is_file() and (folder / "medtui-materialized.json").is_file()
    assert result["type"] == "llama" and result["parameters"] > 100_000_000
    assert result["answer"].strip(), "the materialized model generated nothing"
    assert "gguf" in result["modules"]  # the path that needs the gguf package really ran
    # Every module the first use imported comes from a distribution pyproject.toml brings.
    declared_closure = closure()
    outside = {top: dists for top, dists in distributions_of(result["modules"]).items() if not dists & declared_closure}
    assert not outside, f"the fresh site-packages let in {outside}"
