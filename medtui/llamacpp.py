"""llama.cpp's own GGUF converter, taken from the llama-cpp-python sdist of the installed version.

The installed wheel carries the C library but not `convert_hf_to_gguf.py`; the sdist of the same
version does. Set-up fetches it once into the cache so export needs no network and no compiler.
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


def ensure_converter(cache_dir: str = "", log=print) -> Path:
    """Fetch the converter once (pip download of the sdist) and return its script path."""
    try:
        return converter_script(cache_dir)
    except ConverterMissing:
        pass
    version = llama_cpp_version()
    folder = converter_dir(cache_dir)
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
            members = [
                m for m in archive.getmembers()
                if m.name.startswith(prefix) and m.name[len(prefix):].split("/")[0] in _WANTED
                and (m.isfile() or m.isdir())
            ]
            for member in members:
                member.name = member.name[len(prefix):]
            archive.extractall(staging, members=members, filter="data")
        missing = [w for w in _WANTED if not (staging / w).exists()]
        if missing:
            raise ConverterMissing(f"the llama-cpp-python {version} sdist lacks {', '.join(missing)}")
        (staging / _MARKER).write_text(json.dumps({"llama_cpp_python": version}))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    return folder / "convert_hf_to_gguf.py"
