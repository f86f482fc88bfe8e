"""Opening a GGUF with llama-cpp-python without llama.cpp's extra CPU buffer types.

On this project's CI machines (Xeon with AMX, llama-cpp-python 0.3.36 built from source) any
quantized GGUF (Q4_K_M, Q8_0, even the bundled Q4_1) crashed the process with a segmentation
fault in the first decode, while F16 worked; loading with `use_extra_bufts = false` (no weight
repacking into the AMX/repack buffers) fixed it. `Llama()` does not expose that field, so it is
set on the default model parameters for the duration of the constructor.
"""

from __future__ import annotations

import threading
from pathlib import Path

_PATCH_LOCK = threading.Lock()


def open_gguf(path: Path | str, **kwargs):
    """`llama_cpp.Llama(model_path=path, **kwargs)` with extra buffer types off (see above)."""
    import llama_cpp.llama as llama_module
    from llama_cpp import Llama

    kwargs.setdefault("verbose", False)
    with _PATCH_LOCK:
        original = llama_module.llama_cpp.llama_model_default_params

        def without_extra_buffers():
            params = original()
            params.use_extra_bufts = False
            return params

        llama_module.llama_cpp.llama_model_default_params = without_extra_buffers
        try:
            return Llama(model_path=str(path), **kwargs)
        finally:
            llama_module.llama_cpp.llama_model_default_params = original
