#!/usr/bin/env bash
# Runs a command with a Node.js this project supports first on PATH (package.json engines:
# ^22.12.0 || >=24.0.0). Every npm script goes through it, so the README's two commands work on a
# machine whose Node is older (Node 20, end of life since 2026-04-30) as on Node 22 or 24:
#
#   bash tools/node.sh <command> [argument...]
#
# - The machine's own `node` when it is supported: the command runs as it is, nothing is fetched.
# - Otherwise the release tools/node-pins.txt pins for this platform, brought once from the npm
#   registry (the package node-<os>-<arch>, with `npm pack`: nothing else is downloaded and no
#   install script runs), checked against the sha512 integrity recorded there, unpacked into
#   ${XDG_CACHE_HOME:-~/.cache}/healthflow-infra/node/ and put first on PATH; one line says so.
# - Neither: one sentence saying what to install, exit 1.
#
# .ci/run sources this file for node_bin (the same pins, the same cache) and runs nothing else.
set -euo pipefail

NODE_PINS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/node-pins.txt"
NODE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/healthflow-infra/node"

supported_node() { # version (v22.12.0 or 22.12.0) → true when package.json's engines admit it
  local version=${1#v} major minor
  major=${version%%.*}
  minor=${version#*.}
  minor=${minor%%.*}
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  ((major == 22 && minor >= 12)) || ((major >= 24))
}

node_platform() { # this machine as the npm registry names Node's packages: linux-x64, linux-arm64, ...
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) os=$(uname -s | tr '[:upper:]' '[:lower:]') ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  echo "$os-$arch"
}

pinned_versions() { # platform → its pinned versions, the preferred first
  awk -v package="node-$1" '!/^#/ && $2 == package { print $1 }' "$NODE_PINS"
}

sha512_integrity() { # file → its integrity as npm records it (sha512-<base64>), with any Node or openssl
  if command -v node >/dev/null 2>&1; then
    node -e 'var c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
  else
    echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 | tr -d '\n')"
  fi
}

node_bin() { # version [platform] → the directory holding that pinned Node's binary, fetched once
  local version=$1 platform=${2:-$(node_platform)} integrity dir download tarball actual
  integrity=$(awk -v v="$version" -v package="node-$platform" '!/^#/ && $1 == v && $2 == package { print $3 }' "$NODE_PINS")
  if [ -z "$integrity" ]; then
    echo "node.sh: tools/node-pins.txt pins no node-$platform@$version" >&2
    return 1
  fi
  dir="$NODE_CACHE/$version-$platform"
  if [ ! -x "$dir/bin/node" ]; then
    download=$(mktemp -d)
    # npm pack only fetches the package's tarball (no install, no script); the registry is npm's own.
    if ! tarball=$(cd "$download" && npm pack --silent "node-$platform@$version" 2>/dev/null | tail -n 1) ||
      [ ! -f "$download/$tarball" ]; then
      rm -rf "$download"
      echo "node.sh: node-$platform@$version could not be fetched from the npm registry (offline?)" >&2
      return 2
    fi
    actual=$(sha512_integrity "$download/$tarball")
    if [ "$actual" != "$integrity" ]; then
      rm -rf "$download"
      echo "node.sh: node-$platform@$version does not match the integrity tools/node-pins.txt records; refusing to run it" >&2
      return 1
    fi
    local unpacked="$dir.$$"
    if ! { mkdir -p "$NODE_CACHE" && rm -rf "$unpacked" && mkdir -p "$unpacked" &&
      tar -xzf "$download/$tarball" -C "$unpacked" --strip-components=1 && [ -x "$unpacked/bin/node" ]; }; then
      rm -rf "$download" "$unpacked"
      echo "node.sh: node-$platform@$version could not be unpacked into $NODE_CACHE" >&2
      return 1
    fi
    rm -rf "$download"
    # Two commands fetching at once: the first to finish wins and the other's copy is dropped; a
    # damaged copy (no bin/node) is replaced.
    if ! mv -T "$unpacked" "$dir" 2>/dev/null; then
      if [ -x "$dir/bin/node" ]; then
        rm -rf "$unpacked"
      else
        if ! { rm -rf "$dir" && mv -T "$unpacked" "$dir"; }; then
          rm -rf "$unpacked"
          echo "node.sh: $dir could not be replaced" >&2
          return 1
        fi
      fi
    fi
  fi
  [ -x "$dir/bin/node" ] || {
    echo "node.sh: $dir/bin/node is missing" >&2
    return 1
  }
  echo "$dir/bin"
}

run_with_supported_node() {
  local current="" platform version bin status
  if command -v node >/dev/null 2>&1; then current=$(node --version 2>/dev/null || true); fi
  if [ -n "$current" ] && supported_node "$current"; then exec "$@"; fi

  local have="this machine has no Node.js"
  [ -z "$current" ] || have="this machine's Node is $current"
  local install="install Node.js 22 (22.12 or later) or 24 from https://nodejs.org or your package manager, then run the command again"
  platform=$(node_platform)
  version=$(pinned_versions "$platform" | head -n 1)
  if [ -z "$version" ]; then
    echo "healthflow-infra needs Node.js 22.12+ or 24 and $have; the npm registry ships no maintained Node for $platform: $install." >&2
    exit 1
  fi
  local why
  why=$(mktemp)
  set +e
  bin=$(node_bin "$version" "$platform" 2>"$why")
  status=$?
  set -e
  if [ "$status" -ne 0 ]; then
    echo "healthflow-infra needs Node.js 22.12+ or 24 and $have; bringing Node $version failed ($(sed 's/^node.sh: //' "$why" | tr '\n' ' ' | sed 's/ $//')): $install." >&2
    rm -f "$why"
    exit 1
  fi
  rm -f "$why"
  echo "node.sh: $have; running with Node $version (node-$platform from the npm registry, integrity checked, in ${bin%/bin})" >&2
  PATH="$bin:$PATH" exec "$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  if [ "$#" -eq 0 ]; then
    echo "usage: bash tools/node.sh <command> [argument...]" >&2
    exit 2
  fi
  run_with_supported_node "$@"
fi
