#!/usr/bin/env bash
# Installs the Debian packages the tests need that this machine lacks. The list is
# .github/apt-packages.txt (or the file given as the first argument): one package a line,
# optionally name=version; `#` starts a comment. `npm run check`, .ci/run and the CI workflow all
# call this script, so the list has one reader and one installer.
#
# Installs as root, or through passwordless sudo; otherwise it names the command to run and
# exits 1 before any test runs. A package the machine's apt sources do not have is skipped with a
# notice (GitHub's Ubuntu runners ship AWS CLI v2 instead of the awscli package); the test that
# needs its tool then says which is missing.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
list=${1:-$root/.github/apt-packages.txt}
shown=${list#"$PWD/"}

say() { # level, message: a GitHub annotation on Actions, a plain line elsewhere
  if [ -n "${GITHUB_ACTIONS:-}" ]; then
    echo "::$1 file=${shown}::$2"
  else
    echo "provision: $2"
  fi
}

packages=()
while IFS= read -r line || [ -n "$line" ]; do
  line="${line%%#*}"
  line="${line//[[:space:]]/}"
  [ -z "$line" ] && continue
  if [[ ! "$line" =~ ^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+:~-]+)?$ ]]; then
    say error "Not a Debian package name (one name, or name=version, per line): ${line}"
    exit 1
  fi
  packages+=("$line")
done <"$list"
if [ "${#packages[@]}" -eq 0 ]; then
  echo "${shown} lists no packages: nothing to install."
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  say error "This machine has no dpkg: install the equivalents of ${packages[*]} (see ${shown}), then run the check again."
  exit 1
fi

installed() { # name[=version]: installed, and at that version when one is pinned
  local name=${1%%=*} want=${1#*=} status version
  status=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null) || return 1
  version=${status##* }
  [[ "$status" == "install ok installed "* ]] || return 1
  [ "$want" = "$1" ] || [ "$version" = "$want" ]
}

missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo)
else
  say error "The tests need the Debian packages ${missing[*]} (${shown}), and installing them needs root. Run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
available=()
for package in "${missing[@]}"; do
  if apt-cache show "${package%%=*}" >/dev/null 2>&1; then
    available+=("$package")
  else
    say notice "${package} is not in this machine's apt sources; using the preinstalled tool"
  fi
done
[ "${#available[@]}" -eq 0 ] && exit 0
echo "provision: installing ${available[*]}"
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${available[@]}" >/dev/null
