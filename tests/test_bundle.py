"""The offline bundle: built from this checkout, then unpacked, installed and served inside a network namespace
that has no network at all — only loopback — as on a bureau's closed network."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import tarfile
import textwrap
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.db_independent,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("dpkg-scanpackages"),
                       reason="needs root, unshare and dpkg-dev (a network namespace, a local apt repository)"),
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="the bundle installs on SQLite; once a run"),
]
ROOT = Path(__file__).resolve().parent.parent

# Runs inside the namespace, standard library only: the page answers, and a demo account logs in.
PROBE = textwrap.dedent("""
    import http.cookiejar, re, sys, time, urllib.parse, urllib.request
    base = sys.argv[1]
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    deadline = time.monotonic() + 480  # a fresh install: packages, migrations, the demo's whole year
    while time.monotonic() < deadline:
        try:
            health = opener.open(base + "/healthz", timeout=2).read().decode()
            break
        except OSError:
            time.sleep(0.5)
    else:
        sys.exit("no answer from " + base)
    print("healthz", health)
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": "officer2", "password": "Demo@2026", "csrf_token": token}).encode()
    home = opener.open(base + "/login", form).read().decode()
    print("logged in as 孙志强" if "孙志强" in home else "login failed")
""")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(["make", "-s", "bundle", f"DIST={dist}"], cwd=ROOT, check=True, capture_output=True)
    (archive,) = dist.glob("baomi-jiancha-*.tar.gz")
    return archive


def test_the_bundle_holds_the_app_its_wheels_and_a_complete_apt_repository(bundle, tmp_path):
    with tarfile.open(bundle) as archive:
        names = archive.getnames()
        top = names[0].split("/")[0]
        packages_index = gzip.decompress(archive.extractfile(f"{top}/debs/Packages.gz").read()).decode()
    assert f"{top}/install.sh" in names and f"{top}/wsgi.py" in names and f"{top}/migrations" in names
    wheels = {Path(n).name.split("-")[0].lower() for n in names if n.endswith(".whl")}
    assert {"flask", "weasyprint", "sqlalchemy", "gunicorn", "psycopg_binary"} <= wheels
    assert "Package: fonts-noto-cjk" in packages_index and "Package: python3-venv" in packages_index
    # Resolved against an empty dpkg status: every dependency of what the app needs is in the bundle itself.
    index = tmp_path / "debs"
    with tarfile.open(bundle) as archive:
        for member in archive.getmembers():
            if member.name.startswith(f"{top}/debs/") and member.isfile():
                member.name = member.name.split("/", 2)[2]
                archive.extract(member, index)
    (tmp_path / "lists" / "partial").mkdir(parents=True)
    (tmp_path / "cache" / "archives" / "partial").mkdir(parents=True)
    (tmp_path / "sources.list").write_text(f"deb [trusted=yes] file:{index} ./\n")
    (tmp_path / "status").write_text("")
    apt = ["apt-get", "-o", f"Dir::Etc::SourceList={tmp_path / 'sources.list'}",
           "-o", f"Dir::Etc::SourceParts={tmp_path / 'none'}", "-o", f"Dir::State::Lists={tmp_path / 'lists'}",
           "-o", f"Dir::Cache={tmp_path / 'cache'}", "-o", f"Dir::State::status={tmp_path / 'status'}"]
    subprocess.run(["unshare", "-n", *apt, "update", "-qq"], check=True, capture_output=True)
    wanted = (index / "PACKAGES").read_text().split()
    simulated = subprocess.run(["unshare", "-n", *apt, "install", "-s", "--no-install-recommends", *wanted],
                               capture_output=True, text=True)
    assert simulated.returncode == 0, simulated.stdout[-2000:] + simulated.stderr[-2000:]
    assert "Inst python3-venv" in simulated.stdout and "Inst fonts-noto-cjk" in simulated.stdout


def test_the_bundle_installs_and_serves_with_no_network(bundle, tmp_path):
    subprocess.run(["tar", "-xzf", str(bundle), "-C", str(tmp_path)], check=True)
    (app_dir,) = tmp_path.glob("baomi-jiancha-*")
    (tmp_path / "probe.py").write_text(PROBE)
    script = textwrap.dedent(f"""
        set -e
        ip link set lo up
        echo "routes: $(ip -o route show | wc -l), links: $(ip -o link show | wc -l)"
        cd {app_dir}
        PORT=5137 ./install.sh --demo > {tmp_path}/install.log 2>&1 &
        server=$!
        status=0
        /usr/bin/python3 {tmp_path}/probe.py http://127.0.0.1:5137 || status=$?
        kill $server; wait $server || true
        exit $status
    """)
    result = subprocess.run(["unshare", "-n", "bash", "-c", script], capture_output=True, text=True, timeout=900)
    log = (tmp_path / "install.log").read_text() if (tmp_path / "install.log").exists() else ""
    assert result.returncode == 0, result.stdout + result.stderr + log[-3000:]
    assert "routes: 0, links: 1" in result.stdout  # loopback only: nothing could have been fetched
    assert '"status":"ok"' in result.stdout.replace(" ", "")
    assert "logged in as 孙志强" in result.stdout, result.stdout + log[-3000:]
    assert "demo data created" in log and "serving at http://127.0.0.1:5137" in log
