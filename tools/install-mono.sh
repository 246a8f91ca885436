#!/usr/bin/env bash
# Installs Debian's Mono (mono-complete), the .NET Framework-compatible runtime that tests/desktop runs the
# core's netstandard2.0 build on (Windows PowerShell 5.1 runs that build on .NET Framework), when mono is missing.
# Needs root and apt-get (as on the project's machines and CI); elsewhere it says what to install and exits 0,
# since tests/desktop/Invoke-DesktopTests.ps1 then skips with a message of its own.
set -euo pipefail
if command -v mono >/dev/null 2>&1; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-mono: mono is missing; install Debian's 'mono-complete' package to run tests/desktop." >&2
  exit 0
fi
echo "install-mono: installing mono-complete with apt-get..."
started=$(date +%s)
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mono-complete >/dev/null
echo "install-mono: $(mono --version | head -n 1) in $(( $(date +%s) - started )) s"
