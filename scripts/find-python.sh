#!/usr/bin/env bash
# Print the path of a Python interpreter of the given minor version (e.g. 3.12):
# on PATH first, then pyenv's versions. Exit 1 with a message when there is none.
set -euo pipefail
want="$1"
if command -v "python$want" >/dev/null 2>&1 && "python$want" -c 'import sys' >/dev/null 2>&1; then
    command -v "python$want"
    exit 0
fi
root="${PYENV_ROOT:-$HOME/.pyenv}"
if command -v pyenv >/dev/null 2>&1; then
    root="$(pyenv root)"
fi
for candidate in "$root"/versions/"$want"*/bin/python"$want"; do
    if [ -x "$candidate" ]; then
        echo "$candidate"
        exit 0
    fi
done
echo "no Python $want found on PATH or under $root/versions" >&2
exit 1
