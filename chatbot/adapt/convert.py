"""A PEFT adapter turned into the GGUF adapter llama.cpp loads (Llama(lora_path=...), RAG_LLM_LORA).

The conversion is llama.cpp's own convert_lora_to_gguf.py with its gguf-py,
from the llama-cpp-python source package of the version we run (`make
setup-adapt` unpacks them into .venv/llama.cpp): the gguf package on PyPI is
older than the script needs (FACTS.md). It reads only the base model's config
and tokenizer, not its weights.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .error import AdaptError


class ConversionError(AdaptError):
    pass


def converter_dir() -> Path:
    return Path(sys.prefix) / "llama.cpp"


def to_gguf(adapter: Path, base_config: Path, out: Path) -> Path:
    script = converter_dir() / "convert_lora_to_gguf.py"
    if not script.exists():
        raise ConversionError(f"{script} is missing: run `make setup-adapt` (it unpacks llama.cpp's converter)")
    # The script's own folder holds its `conversion` package; its gguf-py goes first on the path.
    env = {**os.environ, "PYTHONPATH": str(converter_dir() / "gguf-py")}
    done = subprocess.run(
        [sys.executable, str(script), "--base", str(base_config), "--outfile", str(out), "--outtype", "f32",
         str(adapter)], env=env, capture_output=True, text=True)
    if done.returncode != 0 or not out.exists():
        raise ConversionError(f"convert_lora_to_gguf.py failed ({done.returncode}): {done.stderr[-2000:]}")
    return out
