#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver for the browser test, and a Chinese font so that the
# confirm page's screenshot is readable, when they are missing.
# Needs root and apt-get (as on the project's machines and CI); prints what it did.
set -euo pipefail
have_font() { command -v fc-list >/dev/null 2>&1 && [[ -n $(fc-list :lang=zh 2>/dev/null | head -n 1) ]]; }
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && have_font; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: chromium and chromedriver are missing; install Debian's 'chromium' and 'chromium-driver' packages." >&2
  exit 1
fi
echo "install-browser: installing chromium, chromium-driver and fonts-wqy-zenhei with apt-get..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null
echo "install-browser: $(chromium --version 2>/dev/null); $(chromedriver --version 2>/dev/null | head -n 1)"
