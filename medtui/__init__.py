"""medtui: a terminal workbench for 4-bit LoRA fine-tuning on medical instruction data."""

__version__ = "0.1.0"
