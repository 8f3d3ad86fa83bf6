#!/usr/bin/env python3
"""Push a technical inspection tool's scan file (.json or .csv, docs/scans.md) into an inspection of 保密检查.

A reference client for tool makers, with the Python standard library only:

    INSPECT_API_TOKEN=bmjc_… python3 tools/push_scan.py --url https://inspect.bureau.internal \\
        --inspection 42 scan.json

The token comes from the environment (INSPECT_API_TOKEN) or a file (--token-file), never the command line, where
other users of the machine could read it. A scan carries its own id, so sending it again is harmless: a reply
lost on the network, a 429 (too many requests) or a server error is retried a few times, and a scan already
stored answers 200 instead of 201. Exit status: 0 stored (or already stored), 1 refused, 2 not delivered.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

CONTENT_TYPES = {".json": "application/json", ".csv": "text/csv"}
RETRIES = 4


class Refused(Exception):
    """The server read the scan and refused it (a 4xx other than 429): sending it again would not help."""

    def __init__(self, status: int, problem: dict):
        super().__init__(f"{status} {problem.get('error', '')}: {problem.get('detail') or problem.get('message', '')}")
        self.status, self.problem = status, problem


def push(base_url: str, inspection_id: int, path: Path, token: str, *, confirm_unclassified: bool = False,
         context: ssl.SSLContext | None = None, retries: int = RETRIES, wait: float = 2.0) -> tuple[int, dict]:
    """Send the scan file; returns (status, the stored scan as the API describes it). Raises Refused, or the
    last network error once the retries are spent."""
    content_type = CONTENT_TYPES.get(path.suffix.lower())
    if content_type is None:
        raise ValueError(f"{path.name}: a scan file is .json or .csv")
    url = f"{base_url.rstrip('/')}/api/v1/inspections/{inspection_id}/scans"
    if confirm_unclassified:
        url += "?" + urllib.parse.urlencode({"confirm_unclassified": "true"})
    body = path.read_bytes()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type, "Accept": "application/json"}
    for attempt in range(retries + 1):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60, context=context) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            problem = _problem(error)
            if error.code != 429 and error.code < 500:
                raise Refused(error.code, problem) from None
            if attempt == retries:
                raise
            delay = _retry_after(error, wait * 2 ** attempt)
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            if attempt == retries:
                raise
            delay = wait * 2 ** attempt
        time.sleep(delay)
    raise AssertionError("unreachable")


def _problem(error: urllib.error.HTTPError) -> dict:
    try:
        return json.loads(error.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {"error": str(error.code), "detail": error.reason}


def _retry_after(error: urllib.error.HTTPError, default: float) -> float:
    try:
        return max(float(error.headers.get("Retry-After", default)), 0.0)
    except ValueError:
        return default


def _token(args: argparse.Namespace) -> str:
    if args.token_file:
        return Path(args.token_file).read_text(encoding="utf-8").strip()
    token = os.environ.get("INSPECT_API_TOKEN", "").strip()
    if not token:
        raise SystemExit("no token: set INSPECT_API_TOKEN or give --token-file")
    return token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="the scan file, .json or .csv")
    parser.add_argument("--url", required=True, help="where 保密检查 is served, e.g. https://inspect.bureau.internal")
    parser.add_argument("--inspection", type=int, required=True, help="the inspection's id")
    parser.add_argument("--token-file", help="a file holding the API token (default: $INSPECT_API_TOKEN)")
    parser.add_argument("--ca-file", help="the internal CA's certificate, for HTTPS on a closed network")
    parser.add_argument("--confirm-unclassified", action="store_true",
                        help="confirm that text the server flagged as looking classified holds no state secret")
    args = parser.parse_args(argv)
    context = ssl.create_default_context(cafile=args.ca_file) if args.ca_file else None
    try:
        status, scan = push(args.url, args.inspection, args.file, _token(args),
                            confirm_unclassified=args.confirm_unclassified, context=context)
    except Refused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as error:
        print(f"not delivered: {error}", file=sys.stderr)
        return 2
    what = "stored" if status == 201 else "already stored"
    print(f"{what}: scan {scan['scan_id']} of inspection {scan['inspection_id']}: {scan['result_count']} results, "
          f"{scan['failing_count']} failing, {len(scan['proposals'])} answers proposed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
