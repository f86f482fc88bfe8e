"""[train] report_to: checked against what is installed, and pointed at the run folder.
(The TensorBoard scalars of a real run are read back in test_eval_models.py.)"""

from __future__ import annotations

import importlib.util
import os

import pytest

from medtui.config import ConfigError, load_config
from medtui.train.worker import SetupError, prepare_trackers


def test_tensorboard_logs_into_the_run_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TENSORBOARD_LOGGING_DIR", "elsewhere")  # and restored afterwards: no leak into later tests
    cfg = load_config(None, ['train.report_to=["tensorboard"]'])
    assert prepare_trackers(cfg, tmp_path) == ["tensorboard"]
    assert os.environ["TENSORBOARD_LOGGING_DIR"] == str(tmp_path / "tensorboard")


def test_none_by_default(tmp_path):
    assert prepare_trackers(load_config(None), tmp_path) == []


@pytest.mark.skipif(importlib.util.find_spec("wandb") is not None, reason="wandb is installed here")
def test_a_tracker_that_is_not_installed_is_named_with_the_key(tmp_path):
    cfg = load_config(None, ['train.report_to=["wandb"]'])
    with pytest.raises(SetupError, match=r"\[train\] report_to names wandb, which is not installed") as caught:
        prepare_trackers(cfg, tmp_path)
    assert "pip install wandb" in caught.value.hint


def test_an_unknown_tracker_is_a_config_error():
    with pytest.raises(ConfigError, match="report_to"):
        load_config(None, ['train.report_to=["tensorbored"]'])
