"""Make the assets bench/gpu_check.py carries to a GPU machine without network (into FOLDER):

- llama3-tokenizer.tar.xz: the real Llama 3 tokenizer (llama.cpp's ggml-vocab-llama-bpe.gguf, read by
  transformers) with the real Llama-3.1-8B-Instruct chat template (llama.cpp's models/templates), both from
  the llama-cpp-python sdist of the installed version;
- llama.cpp.tar.xz: llama.cpp's converter as medtui's set-up keeps it (medtui.llamacpp).

    .venv/bin/python bench/gpu_assets.py .gpu
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(folder: str) -> int:
    from transformers import AutoTokenizer

    from medtui.llamacpp import converter_dir, ensure_converter, llama_cpp_version

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    version = llama_cpp_version()
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        f"llama-cpp-python=={version}", "-d", scratch], check=True)
        sdist = next(Path(scratch).glob("llama_cpp_python-*.tar.gz"))
        models = f"llama_cpp_python-{version}/vendor/llama.cpp/models/"
        wanted = [models + "ggml-vocab-llama-bpe.gguf", models + "templates/meta-llama-Llama-3.1-8B-Instruct.jinja"]
        with tarfile.open(sdist) as tar:
            tar.extractall(scratch, members=[tar.getmember(name) for name in wanted], filter="data")
        vocab = Path(scratch) / models
        tokenizer = AutoTokenizer.from_pretrained(vocab, gguf_file="ggml-vocab-llama-bpe.gguf")
        tokenizer.chat_template = (vocab / "templates/meta-llama-Llama-3.1-8B-Instruct.jinja").read_text()
        tokenizer.save_pretrained(Path(scratch) / "llama3-tokenizer")
        with tarfile.open(out / "llama3-tokenizer.tar.xz", "w:xz") as tar:
            tar.add(Path(scratch) / "llama3-tokenizer", arcname="llama3-tokenizer")
    ensure_converter()
    with tarfile.open(out / "llama.cpp.tar.xz", "w:xz") as tar:
        tar.add(converter_dir(), arcname=f"llama.cpp/{version}")
    print(f"wrote {out / 'llama3-tokenizer.tar.xz'} and {out / 'llama.cpp.tar.xz'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".gpu"))
