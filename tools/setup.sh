#!/usr/bin/env bash
# The machine's prerequisites, in one place: what the tests need besides .NET (which the README assumes) and
# what the dotnet tools and NuGet bring. Installs what is missing with Debian's packages; CI (.ci/run) runs it,
# a developer runs it once per machine (as root): bash tools/setup.sh. Prints what it did.
#   openssl, python3            the tests cross-check signatures with openssl and ledger integrity with python's sqlite3
#   chromium, chromium-driver   the browser test drives headless Chromium over WebDriver
#   fonts-wqy-zenhei            a Chinese font, so that the confirm page's screenshot is readable
#   postgresql                  the PostgreSQL tests start a throwaway server (tests/postgres/throwaway-cluster.sh)
#                               from /usr/lib/postgresql/<version>/bin; no system cluster is created. PostgreSQL
#                               refuses root, so as root also the system user alipaybptb-pg, which runs it.
# With --fuzz also afl++, for 'build.ps1 fuzz' (not part of the tests).
set -euo pipefail

packages=()
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
if ! { command -v fc-list >/dev/null 2>&1 && [[ -n $(fc-list :lang=zh 2>/dev/null | head -n 1) ]]; }; then
  packages+=(fonts-wqy-zenhei)
fi
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || packages+=(postgresql)
pg_user=alipaybptb-pg
need_pg_user=false
if [[ $(id -u) -eq 0 ]] && ! id -u "$pg_user" >/dev/null 2>&1; then need_pg_user=true; fi
if [[ ${1:-} == --fuzz ]] && ! command -v afl-fuzz >/dev/null 2>&1; then
  packages+=(afl++)
fi

if $need_pg_user; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$pg_user"
  echo "setup: created the system user $pg_user (runs the tests' PostgreSQL servers)."
fi
if ((${#packages[@]} == 0)); then
  echo "setup: nothing to install."
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing: ${packages[*]}. On Debian or Ubuntu, as root: apt-get install ${packages[*]}" >&2
  exit 1
fi
echo "setup: installing ${packages[*]} with apt-get..."
if [[ " ${packages[*]} " == *" postgresql "* ]]; then
  # Debian's package would create and start a cluster on port 5432 (15/main); the tests start their own.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/alipaybptb.conf
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
if command -v chromium >/dev/null 2>&1; then
  echo "setup: $(chromium --version 2>/dev/null); $(chromedriver --version 2>/dev/null | head -n 1)"
fi
if compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  echo "setup: $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/postgres" --version)"
fi
