#!/usr/bin/env bash
# 保密检查 — installs and serves from this bundle on Debian 12 with no network at all.
#
#   sudo ./install.sh --demo        install, load the demo, serve at http://127.0.0.1:5000
#   sudo ./install.sh               install (or update) a production instance, then serve
#   sudo ./install.sh --no-serve    install or update only (e.g. before `systemctl restart inspect`)
#   sudo ./install.sh --tests       also the test tools, then: .venv/bin/pytest -q -n 2  (a bundle made with TESTS=1)
#
# Environment: HOST (127.0.0.1; 0.0.0.0 for the office network), PORT (5000), INSPECT_INSTANCE (the instance
# folder, default ./instance — keep it outside the bundle's folder to update by unpacking a newer bundle),
# DATABASE_URL (default: SQLite in the instance folder), AUDIT_KEY_FILE (the audit key, needed but for --demo),
# SIGNING_KEY_DIR (the SM2 signing keys, needed but for --demo; a first run stops at `db upgrade` saying how to
# make them), ATTACHMENT_KEY_FILE (optional SM4 keys).
# Root is needed only while Debian packages are missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
demo="" serve=1 tests=""
for arg in "$@"; do
  case "$arg" in
    --demo) demo=1 ;;
    --no-serve) serve="" ;;
    --tests) tests=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
say() { echo "install.sh: $*"; }

# A production instance's audit key is kept outside its data (docs/deploy.md, "The audit key"); only the demo
# generates one into the instance folder.
if [ -z "$demo" ] && [ -z "${AUDIT_KEY:-}${AUDIT_KEY_FILE:-}" ]; then
  cat >&2 <<'EOF'
install.sh: a production instance needs its audit key, outside the database and the instance folder:
  sudo install -d -m 0755 /etc/inspect
  python3 -c 'import secrets; print(secrets.token_hex(32))' | sudo tee /etc/inspect/audit.key >/dev/null
  sudo chown inspect: /etc/inspect/audit.key && sudo chmod 0400 /etc/inspect/audit.key
then run again with AUDIT_KEY_FILE=/etc/inspect/audit.key (and keep a copy of the key offline:
a trail is verifiable only with its key). --demo installs the demo instead.
EOF
  exit 1
fi

# 1. Debian packages, from the bundle's own apt repository; only those missing are installed.
missing=$(while read -r p; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"
done < debs/PACKAGES)
if [ -n "$missing" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install.sh: needs root to install: $missing" >&2; exit 1; }
  say "Debian packages: $(echo $missing)"
  apt_dir=$(mktemp -d)
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb [trusted=yes] file:$here/debs ./" > "$apt_dir/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/none"
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Get::List-Cleanup=0")
  apt-get "${apt_opts[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends $missing
  rm -rf "$apt_dir"
fi

# 2. Python: a venv of Debian's own interpreter, filled from the bundle's wheels only.
export PIP_DISABLE_PIP_VERSION_CHECK=1
requirements=requirements.txt
[ -n "$tests" ] && requirements=requirements-dev.txt
[ -x .venv/bin/python ] || /usr/bin/python3 -m venv .venv
say "Python packages from wheels/ ($requirements)"
.venv/bin/pip install -q --no-index --find-links wheels -r "$requirements"
.venv/bin/pybabel compile -d inspect_app/translations >/dev/null

# 3. The database: migrated to this version, the checklist library and the appraisal schemes synced; the demo when
#    asked.
flask=(.venv/bin/flask --app wsgi)
[ -n "$demo" ] && export INSPECT_DEMO=1
"${flask[@]}" db upgrade
# A trail from before the audit key (or from before HMAC-SM3) is verified and sealed under it, once; a broken one is
# left for the auditor.
"${flask[@]}" audit rekey || say "WARNING: the audit trail does not verify; the auditor should see to it (audit verify)"
"${flask[@]}" checklists sync | tail -n 1
"${flask[@]}" appraisals sync | tail -n 1
[ -n "$demo" ] && "${flask[@]}" seed-demo

[ -n "$serve" ] || { say "installed; serve with: BIND=HOST:PORT .venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app"; exit 0; }
bind="${HOST:-127.0.0.1}:${PORT:-5000}"
say "serving at http://$bind  (stop with Ctrl+C)"
BIND="$bind" exec .venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app
