"""Bearer-token authentication: one token, made on first start, kept in $MINIKCTL_HOME/token.

Everything but the health probes needs `Authorization: Bearer <token>`; a missing or
wrong token gets 401 with a Status (kubectl then prints "You must be logged in to the
server (Unauthorized)"). The comparison is constant-time.
"""
from __future__ import annotations

import hmac
import os
import secrets

from minikctl.server import tls

TOKEN_FILE = "token"
# Paths a load balancer or `curl -k` may probe without credentials, as Kubernetes
# grants them to system:unauthenticated by default.
PUBLIC_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/version"})


def ensure_token(home: str) -> str:
    path = os.path.join(home, TOKEN_FILE)
    try:
        with open(path) as f:
            token = f.read().strip()
        if token:
            os.chmod(path, 0o600)
            return token
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(32)
    tls.write_private(path, (token + "\n").encode())
    return token


class Authenticator:
    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def allows(self, path: str, authorization: str | None) -> bool:
        # No credentials: anonymous, allowed the public paths only. Wrong credentials
        # fail everywhere, as Kubernetes' authenticator fails before authorization.
        if not authorization:
            return path in PUBLIC_PATHS
        return hmac.compare_digest(authorization.strip().encode(), self._expected)
