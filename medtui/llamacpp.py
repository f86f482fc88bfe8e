"""llama.cpp's own GGUF converter, taken from the llama-cpp-python sdist of the installed version.

The installed wheel carries the C library but not `convert_hf_to_gguf.py`; the sdist of the same
version does. Set-up fetches it once into the cache so export needs no network and no compiler.
The same fetch keeps llama.cpp's vocabulary-only GGUFs and chat templates (`models/`): the tests
build tiny models of each family from them, with the family's real vocabulary and template.
"""

from __future__ import annotations
from medtui.errors import MedtuiError

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

from medtui.models import cache_root

# What the converter needs from vendor/llama.cpp/ (files and whole folders).
_WANTED = ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "conversion", "gguf-py")
_MARKER = "medtui-converter.json"
# llama.cpp's models/ folder, kept beside the converter: vocabulary-only GGUFs of the families
# medtui is tested on, and the real chat templates llama.cpp tests with.
MODELS_DIR = "models"
_VOCABS = ("llama-spm", "llama-bpe", "phi-3", "qwen2", "gemma-4", "gpt-2")


class ConverterMissing(MedtuiError):
    """llama.cpp's converter is not in the cache and cannot be fetched now."""


def llama_cpp_version() -> str:
    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        raise ConverterMissing("llama-cpp-python is not installed; run scripts/setup.sh") from None


def converter_dir(cache_dir: str = "") -> Path:
    return cache_root(cache_dir) / "llama.cpp" / llama_cpp_version()


def converter_script(cache_dir: str = "") -> Path:
    """Path of convert_hf_to_gguf.py, or ConverterMissing with what to run."""
    folder = converter_dir(cache_dir)
    if not (folder / _MARKER).exists():
        raise ConverterMissing(
            f"llama.cpp's converter for llama-cpp-python {llama_cpp_version()} is not in {folder.parent}; "
            "run `medtui setup` once on a machine that reaches PyPI (scripts/setup.sh does this)"
        )
    return folder / "convert_hf_to_gguf.py"


def llama_cpp_models_dir(cache_dir: str = "") -> Path:
    """llama.cpp's models/ folder (ggml-vocab-*.gguf, templates/*.jinja), or ConverterMissing."""
    folder = converter_dir(cache_dir) / MODELS_DIR
    if not folder.is_dir():
        raise ConverterMissing(
            f"llama.cpp's vocabularies and chat templates for llama-cpp-python {llama_cpp_version()} are not in "
            f"{folder.parent}; run `medtui setup` once on a machine that reaches PyPI (scripts/setup.sh does this)"
        )
    return folder


def _wanted_model_file(relative: str) -> bool:
    if relative.startswith("templates/"):
        return relative.endswith(".jinja") and relative.count("/") == 1
    return relative in {f"ggml-vocab-{name}.gguf" for name in _VOCABS}


def ensure_converter(cache_dir: str = "", log=print) -> Path:
    """Fetch the converter and llama.cpp's models/ files once (pip download of the sdist) and
    return the converter's script path. A cache holding only the converter gets models/ added."""
    version = llama_cpp_version()
    folder = converter_dir(cache_dir)
    have_converter = (folder / _MARKER).exists()
    if have_converter and (folder / MODELS_DIR).is_dir():
        return folder / "convert_hf_to_gguf.py"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as work:
        log(f"downloading the llama-cpp-python {version} sdist for llama.cpp's converter")
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             f"llama-cpp-python=={version}", "-d", work, "-q"],
            capture_output=True, text=True,
        )
        archives = list(Path(work).glob("llama_cpp_python-*.tar.gz"))
        if done.returncode != 0 or not archives:
            raise ConverterMissing(
                f"could not download the llama-cpp-python {version} sdist from PyPI: "
                + (done.stderr.strip().splitlines() or ["no archive"])[-1]
            )
        staging = Path(work) / "converter"
        staging.mkdir()
        with tarfile.open(archives[0]) as archive:
            prefix = archive.getnames()[0].split("/")[0] + "/vendor/llama.cpp/"
            members = []
            for m in archive.getmembers():
                if not m.name.startswith(prefix) or not (m.isfile() or m.isdir()):
                    continue
                relative = m.name[len(prefix):]
                top = relative.split("/")[0]
                if top in _WANTED or (top == MODELS_DIR and m.isfile()
                                      and _wanted_model_file(relative[len(MODELS_DIR) + 1:])):
                    m.name = relative
                    members.append(m)
            archive.extractall(staging, members=members, filter="data")
        missing = [w for w in _WANTED if not (staging / w).exists()]
        if missing:
            raise ConverterMissing(f"the llama-cpp-python {version} sdist lacks {', '.join(missing)}")
        (staging / MODELS_DIR).mkdir(exist_ok=True)
        if have_converter:
            # Only models/ is new: the converter in use stays where it is.
            os.replace(staging / MODELS_DIR, folder / MODELS_DIR)
            return folder / "convert_hf_to_gguf.py"
        (staging / _MARKER).write_text(json.dumps({"llama_cpp_python": version}))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    return folder / "convert_hf_to_gguf.py"
