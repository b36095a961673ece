# Shared setup steps for scripts/demo and scripts/test. Idempotent: each step checks first.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
PG_ROLE=geoapi
PG_PASSWORD=geoapi
APT_UPDATED=0

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

# Install Debian packages that are not installed yet.
apt_ensure() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if [ "$APT_UPDATED" -eq 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Python virtualenv with the project installed; reinstalled only when pyproject.toml changes.
python_env() {
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    apt_ensure python3-venv python3-pip
  fi
  [ -x "$VENV/bin/python" ] || { say "creating $VENV"; python3 -m venv "$VENV"; }
  local stamp="$VENV/.geoapi-installed"
  local want
  want=$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing Python packages"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e "$ROOT[dev]"
    echo "$want" >"$stamp"
  fi
}

# The map page's front-end libraries from the npm registry (web/package-lock.json), served by
# the app itself so the page works offline; reinstalled only when the lock file changes.
web_assets() {
  command -v npm >/dev/null 2>&1 || apt_ensure nodejs npm
  local stamp="$ROOT/web/node_modules/.geoapi-installed"
  local want
  want=$(sha256sum "$ROOT/web/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing the map page's scripts from npm"
    npm ci --prefix "$ROOT/web" --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  fi
}

# True when the URL answers and has (or can create) PostGIS and pgRouting.
url_answers() {
  "$VENV/bin/python" - "$1" <<'PY' 2>/dev/null
import sys, psycopg2
conn = psycopg2.connect(sys.argv[1], connect_timeout=3)
conn.autocommit = True
conn.cursor().execute("CREATE EXTENSION IF NOT EXISTS postgis")
conn.cursor().execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
PY
}

# Start (or create) the local PostgreSQL cluster, with PostGIS and pgRouting installed for its version.
local_cluster() {
  apt_ensure postgresql
  local line version cluster status
  line=$(pg_lsclusters -h | head -n 1 || true)
  if [ -z "$line" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    say "creating PostgreSQL $version cluster"
    as_root pg_createcluster "$version" main --start >/dev/null
    line=$(pg_lsclusters -h | head -n 1)
  fi
  read -r version cluster _ status _ <<<"$line"
  apt_ensure "postgresql-$version-postgis-3" "postgresql-$version-pgrouting"
  if [ "$status" != "online" ]; then
    say "starting PostgreSQL $version/$cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
  fi
}

# Echo a URL for database $1: $2 if it answers, else a local database made for the purpose.
database_url() {
  local name=$1 given=${2:-}
  if [ -n "$given" ] && url_answers "$given"; then
    echo "$given"
    return 0
  fi
  [ -n "$given" ] && say "$given does not answer; using a local PostgreSQL instead" >&2
  local_cluster >&2
  as_postgres psql -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL
SELECT 'CREATE ROLE $PG_ROLE LOGIN SUPERUSER PASSWORD ''$PG_PASSWORD'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') \gexec
SELECT 'CREATE DATABASE $name OWNER $PG_ROLE'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$name') \gexec
SQL
  as_postgres psql -q -d "$name" -c 'CREATE EXTENSION IF NOT EXISTS postgis' -c 'CREATE EXTENSION IF NOT EXISTS pgrouting' >/dev/null
  echo "postgresql://$PG_ROLE:$PG_PASSWORD@127.0.0.1:5432/$name"
}
