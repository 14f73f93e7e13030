#!/usr/bin/env bash
# llama.cpp's LoRA converter (convert_lora_to_gguf.py, its `conversion` package and gguf-py) out of the
# llama-cpp-python source package of the version we run, into DEST: what `python -m chatbot adapt` runs
# to turn an adapter into GGUF (chatbot/adapt/convert.py). PyPI's gguf is older than the script needs.
# Usage: deploy/unpack-converter.sh SDIST.tar.gz DEST
set -euo pipefail
sdist=$1 dest=$2
rm -rf "$dest" && mkdir -p "$dest"
top=$(basename "$sdist" .tar.gz)  # the source package unpacks into NAME-VERSION/
tar -xzf "$sdist" -C "$dest" --strip-components=3 \
  "$top/vendor/llama.cpp/convert_lora_to_gguf.py" "$top/vendor/llama.cpp/convert_hf_to_gguf.py" \
  "$top/vendor/llama.cpp/conversion" "$top/vendor/llama.cpp/gguf-py"
