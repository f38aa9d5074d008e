#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with the test role and database:
# installs Debian's postgresql when absent, creates and starts a cluster when none runs.
set -euo pipefail
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version main"; then
    $sudo pg_createcluster "$version" main
  fi
  $sudo pg_ctlcluster "$version" main start || true
  for _ in $(seq 60); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  pg_isready -h 127.0.0.1 -p 5432
fi

as_postgres psql -q -v ON_ERROR_STOP=1 -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'siteline') THEN
    CREATE ROLE siteline LOGIN PASSWORD 'siteline';
  END IF; END \$\$;"
if ! as_postgres psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'siteline_test'" | grep -q 1; then
  as_postgres createdb -O siteline siteline_test
fi
echo "PostgreSQL ready: postgresql://siteline@127.0.0.1:5432/siteline_test"
