"""Chat with a base model, a run's adapter or a GGUF export, behind the medical safety layer.

No Textual and no torch at import: the Chat pane and `medtui chat` share this package, and the
heavy libraries load when a backend loads.
"""

from medtui.chat.backends import (
    Backend,
    ChatError,
    Generation,
    GenerationSettings,
    GGUFBackend,
    Stream,
    TransformersBackend,
    check_gguf,
)
from medtui.chat.session import FINISH_LABELS, ChatSession, Reply, Turn, fit_history
from medtui.chat.sources import (
    ModelChoice,
    adapter_choice,
    base_choice,
    export_choices,
    gguf_choice,
    list_choices,
    make_backend,
    run_adapters,
)

__all__ = [
    "FINISH_LABELS", "Backend", "ChatError", "ChatSession", "GGUFBackend", "Generation", "GenerationSettings", "ModelChoice",
    "Reply", "Stream", "TransformersBackend", "Turn", "adapter_choice", "base_choice", "check_gguf",
    "export_choices", "fit_history", "gguf_choice", "list_choices", "make_backend", "run_adapters",
]
