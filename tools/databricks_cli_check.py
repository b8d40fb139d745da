"""Check the bundle with the real Databricks CLI, without a workspace.

A stand-in workspace answers the calls `databricks bundle validate` makes (the current user, the
status of the bundle's folder and its permissions). Then, for every target of the repository's
bundle, `databricks bundle validate --strict` runs as the identity that deploys it: dev as a user,
test, staging and prod as the service principal (as CI does). Any error, warning or recommendation
fails the check.

    python tools/databricks_cli_check.py --cli /path/to/databricks
    python tools/databricks_cli_check.py --cli /path/to/databricks --write-fixtures

--write-fixtures also writes the CLI's `-o json` of tests/localrun/cli_parity/bundle for each target
into tests/localrun/cli_parity/, which tests/localrun/test_cli_parity.py compares with `mlops validate
-o json`. Nothing in README's commands or CI needs this script or the CLI it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARITY = ROOT / "tests" / "localrun" / "cli_parity"
DEVELOPER = "Jane.O-Brien+ml@example.com"
SERVICE_PRINCIPAL = "11111111-2222-3333-4444-555555555555"
FOLDER_ID = 42


def stand_in_workspace(user: str) -> ThreadingHTTPServer:
    """A local HTTP server that answers as a workspace where `user` is signed in and owns its folders."""
    principal = "service_principal_name" if user == SERVICE_PRINCIPAL else "user_name"

    class Workspace(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            path = self.path.split("?")[0]
            if path.endswith("/scim/v2/Me"):
                code, body = 200, {"id": "1", "userName": user, "displayName": user, "active": True,
                                   "groups": [{"display": "users"}]}
            elif path == "/api/2.0/workspace/get-status":
                code, body = 200, {"object_type": "DIRECTORY", "object_id": FOLDER_ID, "path": "/"}
            elif path.startswith("/api/2.0/permissions/directories/"):
                code, body = 200, {"object_id": f"directories/{FOLDER_ID}", "object_type": "directory",
                                   "access_control_list": [
                                       {principal: user, "all_permissions": [{"permission_level": "CAN_MANAGE"}]},
                                       {"group_name": "admins",
                                        "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": True}]}]}
            elif path == "/api/2.0/workspace/mkdirs":
                code, body = 200, {}
            else:
                code, body = 404, {"error_code": "NOT_FOUND", "message": f"not answered by the stand-in: {path}"}
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = _answer

        def log_message(self, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Workspace)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def validate(cli: str, bundle: Path, target: str, *args: str) -> subprocess.CompletedProcess:
    user = DEVELOPER if target == "dev" else SERVICE_PRINCIPAL
    server = stand_in_workspace(user)
    env = {**os.environ, "DATABRICKS_HOST": f"http://127.0.0.1:{server.server_port}", "DATABRICKS_TOKEN": "stand-in",
           "DATABRICKS_CONFIG_FILE": os.devnull, "BUNDLE_VAR_service_principal": SERVICE_PRINCIPAL}
    try:
        return subprocess.run([cli, "bundle", "validate", "-t", target, *args], cwd=bundle, env=env,
                              capture_output=True, text=True, timeout=300, check=False)
    finally:
        server.shutdown()


def targets_of(bundle: Path) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from localrun.bundle import read_yaml_lines

    return list(read_yaml_lines(bundle / "databricks.yml", bundle)[0]["targets"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", default="databricks", help="the databricks executable")
    parser.add_argument("--write-fixtures", action="store_true", help="write the -o json fixtures of the parity test")
    args = parser.parse_args()
    failed = False
    for target in targets_of(ROOT):
        done = validate(args.cli, ROOT, target, "--strict")
        # The CLI prints diagnostics on stderr; a host-metadata notice of the stand-in is not one.
        notes = [line for line in done.stderr.splitlines() if "hostmetadata" not in line]
        clean = done.returncode == 0 and "Validation OK!" in done.stdout and "Recommendation" not in done.stdout
        print(f"{target}: {'OK' if clean else 'FAILED'}")
        if not clean or notes:
            failed = True
            print(done.stdout + "\n".join(notes))
    if args.write_fixtures:
        for target in targets_of(PARITY / "bundle"):
            done = validate(args.cli, PARITY / "bundle", target, "-o", "json")
            if done.returncode != 0:
                print(done.stdout + done.stderr)
                return 1
            out = json.loads(done.stdout)
            out.get("bundle", {}).pop("git", None)  # the commit of the day
            (PARITY / f"{target}.json").write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
            print(f"wrote {(PARITY / f'{target}.json').relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
