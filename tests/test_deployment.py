"""The tested deployment: two app servers (two gunicorn workers each) behind nginx with TLS from an internal CA,
one database, Redis for the login throttle and the job queue, one queue worker, one shared attachments folder
and one shared documents folder — the configuration in deploy/.

Sessions and CSRF tokens hold across servers, a photo stored through one is served by the other, a document
asked for on one is rendered by the worker and fetched from the other, the throttle counts across both, the
client address comes from the proxy (a forged X-Forwarded-For is not believed), and cookies are Secure with
HSTS."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from string import Template

import pytest
import requests
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.models import AuditRecord, Document

from .factories import answer_all, jpeg, make_inspection, submit

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def wait_until_serving(port: int, seconds: float = 90) -> None:
    """A bound port is only gunicorn's master; each worker loads the app (and warms up the PDF engine) after that,
    which on a busy machine takes longer than a request's timeout. Wait until several answers in a row came back."""
    deadline, answered = time.monotonic() + seconds, 0
    while time.monotonic() < deadline and answered < 4:
        try:
            answered = answered + 1 if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30).ok else 0
        except requests.RequestException:
            answered = 0
            time.sleep(0.2)
    assert answered >= 4, f"the app server on {port} does not answer"


def tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    assert path, f"{name} is not installed (make test installs it)"
    return path


def internal_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate for localhost signed by it: what a bureau's internal CA issues."""
    openssl = tool("openssl")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True)

    ca_key, ca_cert = folder / "ca.key", folder / "ca.crt"
    key, csr, cert, ext = folder / "server.key", folder / "server.csr", folder / "server.crt", folder / "san.ext"
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca_cert), "-days", "2",
        "-subj", "/CN=Inspect Test Root CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost")
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(cert), "-days", "2", "-extfile", str(ext))
    return ca_cert, cert, key


@pytest.fixture
def deployment(app, demo, tmp_path):
    processes: list[subprocess.Popen] = []
    ca, cert, key = internal_ca(tmp_path)
    redis_port = free_port()
    processes.append(subprocess.Popen([tool("redis-server"), "--port", str(redis_port), "--save", "",
                                       "--appendonly", "no", "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL))
    wait_for_port(redis_port)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", ""),
           "SECRET_KEY": app.config["SECRET_KEY"], "AUDIT_KEY": app.config["AUDIT_KEY"],
           "SIGNING_KEY_DIR": str(app.config["SIGNING_KEYS"].directory),
           "ATTACHMENT_KEY_FILE": str(app.config["ATTACHMENT_KEYS"].path),
           "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}/0", "QUEUE_URL": f"redis://127.0.0.1:{redis_port}/1",
           "ATTACHMENTS_DIR": app.config["ATTACHMENTS_DIR"], "DOCUMENTS_DIR": str(tmp_path / "documents"),
           "PROXY_COUNT": "1", "WEB_WORKERS": "2", "WEB_THREADS": "2"}
    worker_instance = tmp_path / "instance-worker"
    worker_instance.mkdir()
    worker = subprocess.Popen([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "worker"],
                              env={**env, "INSPECT_INSTANCE": str(worker_instance)}, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    processes.append(worker)
    app_ports = [free_port(), free_port()]
    servers = []
    for n, port in enumerate(app_ports):
        instance = tmp_path / f"instance-{n}"
        instance.mkdir()
        (instance / "config.py").write_text("DOCUMENTS_WORKER_PAGES = 1\n")  # every document goes to the worker
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
             "--access-logfile", "/dev/null", "--log-level", "error", "wsgi:app"],
            env={**env, "BIND": f"127.0.0.1:{port}", "INSPECT_INSTANCE": str(instance)}, cwd=ROOT,
            start_new_session=True)
        servers.append(server)
        processes.append(server)
    for port in app_ports:
        wait_for_port(port)
        wait_until_serving(port)
    https_port, http_port = free_port(), free_port()
    site = Template((ROOT / "deploy" / "nginx-site.conf.template").read_text()).safe_substitute(
        UPSTREAM_SERVERS=" ".join(f"server 127.0.0.1:{p};" for p in app_ports), HTTPS_LISTEN=f"127.0.0.1:{https_port}",
        HTTP_LISTEN=f"127.0.0.1:{http_port}", SERVER_NAME="localhost", TLS_CERT=str(cert), TLS_KEY=str(key),
        CA_CERT=str(ca))
    (tmp_path / "site.conf").write_text(site)
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(f"""
        {user}
        worker_processes 1;
        daemon off;
        pid {tmp_path}/nginx.pid;
        error_log {tmp_path}/nginx-error.log warn;
        events {{ worker_connections 256; }}
        http {{
            access_log off;
            client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
            fastcgi_temp_path {tmp_path}/fastcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
            include {tmp_path}/site.conf;
        }}
    """)
    nginx = subprocess.Popen([tool("nginx"), "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                             stderr=subprocess.DEVNULL)
    processes.append(nginx)
    wait_for_port(https_port)
    try:
        yield {"https": f"https://localhost:{https_port}", "http": f"http://127.0.0.1:{http_port}", "ca": str(ca),
               "servers": servers, "ports": app_ports, "worker": worker}
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                if process in servers or process is worker:
                    os.killpg(process.pid, signal.SIGTERM)
                else:
                    process.terminate()
                process.wait(timeout=20)


def login(base: str, ca: str, username: str = "inspector") -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override the internal CA
    session.verify = ca
    session.headers["Referer"] = f"{base}/"  # as a browser sends it; CSRF checks it over HTTPS
    page = session.get(f"{base}/login").text
    response = session.post(f"{base}/login", data={"username": username, "password": "Demo@2026",
                                                    "csrf_token": TOKEN.search(page).group(1)}, allow_redirects=False)
    assert response.status_code == 302, response.status_code
    return session


def test_two_app_servers_behind_nginx_with_tls(deployment, app):
    base, ca = deployment["https"], deployment["ca"]
    inspection = make_inspection("DH-ZFB", templates=["network"])
    item = next(s.items for s in inspection.versions[0].sections if s.key == "connect")[0]
    inspection_id, item_id = inspection.id, item.id
    db.session.remove()

    # Plain HTTP goes to HTTPS; HTTPS is trusted through the internal CA; cookies are Secure; HSTS is sent.
    redirect = requests.get(f"{deployment['http']}/login", allow_redirects=False, timeout=30)
    assert redirect.status_code == 301 and redirect.headers["Location"].startswith("https://")
    # ... except the internal CA's root, which a tablet must fetch before it can trust HTTPS.
    root = requests.get(f"{deployment['http']}/ca.crt", allow_redirects=False, timeout=30)
    assert root.status_code == 200 and root.content == Path(ca).read_bytes()
    assert root.headers["Content-Type"] == "application/x-x509-ca-cert"
    first = requests.get(f"{base}/login", verify=ca, timeout=30)
    assert "Secure" in first.headers["Set-Cookie"] and "HttpOnly" in first.headers["Set-Cookie"]
    assert first.headers["Strict-Transport-Security"].startswith("max-age=")
    assert first.headers.get("Content-Encoding") == "gzip" or len(first.content) < 1024

    # One login, many requests, whichever server answers: the session lives in the shared database.
    session = login(base, ca)
    session.headers["X-CSRFToken"] = session.get(f"{base}/api/v1/csrf").json()["csrf_token"]
    for _ in range(8):
        assert session.get(f"{base}/dashboard", allow_redirects=False).status_code == 200
    upload = session.post(f"{base}/api/v1/inspections/{inspection_id}/photos",
                          data={"item_id": str(item_id), "client_uuid": str(uuid.uuid4())},
                          files={"file": ("cabinet.jpg", jpeg(), "image/jpeg")})
    assert upload.status_code == 201, upload.text
    photo_url = upload.json()["url"]

    # One server goes away: the other carries on with the same session and serves the same photo.
    first_server = deployment["servers"][0]
    os.killpg(first_server.pid, signal.SIGTERM)
    first_server.wait(timeout=20)
    for _ in range(4):
        assert session.get(f"{base}/dashboard", allow_redirects=False).status_code == 200
        assert session.get(f"{base}{photo_url}").content == jpeg()
    saved = session.put(f"{base}/api/v1/inspections/{inspection_id}/answers", json={"answers": [
        {"client_uuid": str(uuid.uuid4()), "item_id": item_id, "base_revision": 0, "value": "compliant"}]})
    assert saved.json()["results"][0]["status"] == "saved"

    # The client's address is what nginx saw, not what the client claims.
    forged = requests.post(f"{base}/login", verify=ca, data={"username": "inspector", "password": "wrong"},
                           headers={"X-Forwarded-For": "6.6.6.6"})
    assert forged.status_code == 400  # no CSRF token; the audit trail records logins that get that far
    page = requests.Session()
    page.trust_env = False
    page.verify = ca
    page.headers["Referer"] = f"{base}/"
    token = TOKEN.search(page.get(f"{base}/login").text).group(1)
    page.post(f"{base}/login", data={"username": "inspector", "password": "wrong-password", "csrf_token": token},
              headers={"X-Forwarded-For": "6.6.6.6"})
    last = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "auth.login_failed")
                              .order_by(AuditRecord.id.desc())).first()
    assert last.ip == "127.0.0.1"


def test_a_document_asked_for_on_one_server_is_rendered_by_the_worker_and_fetched_from_the_other(deployment):
    inspection = make_inspection("DH-ZFB", templates=["network"])
    answer_all(inspection, failing={"F3": "noncompliant"})
    submit(inspection)
    inspection_id = inspection.id
    db.session.remove()
    first, second = (f"http://127.0.0.1:{port}" for port in deployment["ports"])
    session = requests.Session()
    session.trust_env = False
    page = session.get(f"{first}/login").text
    assert session.post(f"{first}/login", data={"username": "inspector", "password": "Demo@2026",
                                                "csrf_token": TOKEN.search(page).group(1)},
                        allow_redirects=False).status_code == 302

    asked = session.get(f"{first}/inspections/{inspection_id}/report.pdf", allow_redirects=False)
    assert asked.status_code == 303 and "/documents/jobs/" in asked.headers["Location"]
    job = asked.headers["Location"]
    deadline = time.monotonic() + 120
    while True:  # the browser's poll, answered by the other server from the queue's store
        status = session.get(f"{second}{job}.json").json()
        if status["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status["state"] == "done", status
    pdf = session.get(f"{second}{status['url']}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert session.get(f"{first}{status['url']}").content == pdf.content
    assert deployment["worker"].poll() is None
    # Rendered once, by the worker, into the shared documents folder; recorded once.
    documents = db.session.scalars(select(Document).where(Document.object_id == inspection_id)).all()
    assert len(documents) == 1 and documents[0].pages >= 2


def test_the_login_throttle_counts_across_servers(deployment):
    base, ca = deployment["https"], deployment["ca"]
    session = requests.Session()
    session.trust_env = False
    session.verify = ca
    session.headers["Referer"] = f"{base}/"
    token = TOKEN.search(session.get(f"{base}/login").text).group(1)
    statuses = [session.post(f"{base}/login", data={"username": f"nobody{i}", "password": "x" * 12,
                                                    "csrf_token": token}).status_code for i in range(22)]
    # Twenty a minute per address in all: each server alone has seen only about half of them.
    assert statuses[:20] == [200] * 20 and 429 in statuses[20:]


@pytest.mark.db_independent
def test_gunicorn_says_when_each_worker_counts_the_request_limit_alone(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("RATELIMIT_STORAGE_URI", "DATABASE_URL")}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "wsgi:app"],
        env={**env, "BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "2", "INSPECT_INSTANCE": str(tmp_path)}, cwd=ROOT,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_for_port(port)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        log = server.communicate(timeout=30)[1]
    assert "each of the 2 workers counts the /login request limit on its own" in log, log


@pytest.mark.db_independent
def test_the_tls_demo_serves_https_trusted_through_its_own_ca(tmp_path):
    """make tls-demo: a tablet fetches the demo CA over plain HTTP, then trusts the app over HTTPS."""
    instance = tmp_path / "instance"
    app_port, https_port, http_port = free_port(), free_port(), free_port()
    env = {**os.environ, "PATH": f"{os.environ['PATH']}:/usr/sbin:/sbin", "INSPECT_INSTANCE": str(instance),
           "PORT": str(app_port), "TLS_PORT": str(https_port), "HTTP_PORT": str(http_port), "WEB_WORKERS": "1"}
    demo = subprocess.Popen(["bash", str(ROOT / "deploy" / "tls-demo.sh")], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        wait_for_port(https_port)
        wait_for_port(app_port)
        ca = requests.get(f"http://127.0.0.1:{http_port}/ca.crt", timeout=10)
        assert ca.status_code == 200 and ca.content == (instance / "tls-demo" / "ca.crt").read_bytes()
        (tmp_path / "ca.crt").write_bytes(ca.content)
        for name in ("localhost", "127.0.0.1"):
            health = requests.get(f"https://{name}:{https_port}/healthz", verify=str(tmp_path / "ca.crt"), timeout=10)
            assert health.status_code == 200 and health.json()["status"] == "ok"
        assert instance.joinpath("tls-demo", "ca.key").stat().st_mode & 0o077 == 0
        first_ca = ca.content
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        output = demo.communicate(timeout=30)[0]
    assert "保密检查 over HTTPS at https://" in output and "/ca.crt" in output
    # Started again, the same CA: a tablet installs it once.
    again = subprocess.Popen(["bash", str(ROOT / "deploy" / "tls-demo.sh")], env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(https_port)
        assert requests.get(f"http://127.0.0.1:{http_port}/ca.crt", timeout=10).content == first_ca
    finally:
        os.killpg(again.pid, signal.SIGTERM)
        again.wait(timeout=30)
