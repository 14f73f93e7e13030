"""nginx in front of the front-ends, as deploy/nginx.conf's proxy lines set it up (without TLS), on a free
loopback port: for the tests of several front-ends (tests/test_scale_out.py, tests/ui/test_database_state.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.helpers import Client, free_port

NGINX = shutil.which("nginx")


class Proxy:
    """route_to() sends every next request to one front-end, as a failover would; with several, nginx picks one
    by the session cookie (deploy/nginx.conf's hash) and goes to the next when one does not answer."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def route_to(self, *front_ends: str) -> None:
        upstreams = [front_end.removeprefix("http://") for front_end in front_ends]
        servers = " ".join(f"server {upstream};" for upstream in upstreams)
        if len(upstreams) > 1:
            servers = f"hash $cookie_rag_session$binary_remote_addr consistent; {servers}"
        (self.folder / "nginx.conf").write_text(_NGINX_CONF.format(
            folder=self.folder, port=self.port, servers=servers, user="user root;" if os.geteuid() == 0 else ""))
        if self.process is None:
            self.process = subprocess.Popen([NGINX, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")])
        else:
            self.process.send_signal(signal.SIGHUP)  # reload: new workers with the new upstream
        deadline = time.monotonic() + 30
        while self.upstream() not in upstreams:
            assert time.monotonic() < deadline, (self.folder / "error.log").read_text()[-2000:]
            time.sleep(0.2)

    def upstream(self, client: Client | None = None) -> str | None:
        """The front-end nginx sends this client's (or a new client's) next request to."""
        try:
            return (client.at(self.base) if client else Client(self.base)).get("/login").headers.get("X-Upstream")
        except OSError:  # not listening yet
            return None


_NGINX_CONF = """daemon off; {user}
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy; fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
    upstream private_rag {{ {servers} }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://private_rag;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_buffering off;
            proxy_read_timeout 300s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""
