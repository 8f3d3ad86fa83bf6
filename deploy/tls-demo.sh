#!/usr/bin/env bash
# The demo over HTTPS for tablets on the office network: a demo CA (made once, kept in the instance folder so a
# tablet installs it once), a server certificate for this machine's names and addresses, the app on loopback and
# nginx in front. Run by `make tls-demo`; see docs/deploy.md, "Tablets on the office network".
#   TLS_PORT (443) and HTTP_PORT (80): nginx's ports; PORT (5000): the app server's, on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
instance=${INSPECT_INSTANCE:-$PWD/instance}
dir="$instance/tls-demo"
tls_port=${TLS_PORT:-443} http_port=${HTTP_PORT:-80} app_port=${PORT:-5000}
mkdir -p "$dir"
ssl() { openssl "$@" 2>/dev/null; }

if [ ! -f "$dir/ca.crt" ]; then
  ssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout "$dir/ca.key" -out "$dir/ca.crt" \
      -subj "/O=保密检查演示/CN=保密检查 演示根证书" -utf8 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  chmod 600 "$dir/ca.key"
fi
# The server certificate names every address a tablet may use; made again at each start, as addresses change.
addresses=$(hostname -I 2>/dev/null || true)
san="DNS:localhost,DNS:$(hostname),IP:127.0.0.1$(for a in $addresses; do printf ',IP:%s' "$a"; done)"
ssl req -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=$(hostname)"
# 397 days: the longest validity Apple's and Google's browsers accept for a server certificate.
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san" > "$dir/server.ext"
ssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 397 \
    -out "$dir/server.crt" -extfile "$dir/server.ext"
chmod 600 "$dir/server.key"

# The production site template, filled like envsubst would (nginx's own $variables stay as they are).
site=$(UPSTREAM_SERVERS="server 127.0.0.1:$app_port;" SERVER_NAME="_" HTTPS_LISTEN="$tls_port" \
       HTTP_LISTEN="$http_port" TLS_CERT="$dir/server.crt" TLS_KEY="$dir/server.key" CA_CERT="$dir/ca.crt" \
       .venv/bin/python -c 'import os, string, sys; print(string.Template(sys.stdin.read()).safe_substitute(os.environ))' \
       < deploy/nginx-site.conf.template)
mkdir -p "$dir/nginx"
cat > "$dir/nginx/nginx.conf" <<CONF
$([ "$(id -u)" -eq 0 ] && echo "user root;")
worker_processes 1;
daemon off;
pid $dir/nginx/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $dir/nginx/body; proxy_temp_path $dir/nginx/proxy;
    fastcgi_temp_path $dir/nginx/fastcgi; uwsgi_temp_path $dir/nginx/uwsgi; scgi_temp_path $dir/nginx/scgi;
$site
}
CONF

first=$(for a in $addresses; do echo "$a"; break; done)
base="https://${first:-localhost}$([ "$tls_port" = 443 ] || echo ":$tls_port")"
INSPECT_DEMO=1 PROXY_COUNT=1 INSPECT_BASE_URL="$base" BIND="127.0.0.1:$app_port" \
    .venv/bin/gunicorn -c deploy/gunicorn.conf.py --access-logfile /dev/null wsgi:app &
app=$!
trap 'kill $app 2>/dev/null; wait $app 2>/dev/null' EXIT
echo "保密检查 over HTTPS at $base"
echo "  on each tablet first: open http://${first:-localhost}$([ "$http_port" = 80 ] || echo ":$http_port")/ca.crt, install and trust it"
echo "  (iPadOS: Settings › General › VPN & Device Management, then About › Certificate Trust Settings); stop with Ctrl+C"
nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf"
