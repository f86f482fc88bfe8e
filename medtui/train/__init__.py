"""Training: the detached QLoRA worker (`worker`), starting/stopping/resuming it (`launch`), and the
run folder's event log that every reader follows (`events`).

Nothing here imports torch at import time: the TUI imports `events` and `launch`, and the heavy
libraries load inside the worker process (and, for the tokenizer check, inside `launch.start_run`).
"""
