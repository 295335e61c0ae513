"""The PKI, the token and the kubeconfig on disk."""
from __future__ import annotations

import ipaddress
import os
import stat

from cryptography import x509

from minikctl.client import kubeconfig
from minikctl.server import auth, tls


def mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_pki_is_made_once_with_sans_and_private_keys(tmp_path):
    pki = tls.ensure(str(tmp_path))
    assert mode(pki.server_key) == 0o600 and mode(os.path.join(tmp_path, "pki", "ca.key")) == 0o600
    with open(pki.server_cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    before = open(pki.server_cert, "rb").read()
    assert tls.ensure(str(tmp_path)) == pki
    assert open(pki.server_cert, "rb").read() == before  # reused, not re-issued


def test_server_cert_reissued_for_a_new_host_same_ca(tmp_path):
    pki = tls.ensure(str(tmp_path))
    ca = pki.ca_pem()
    tls.ensure(str(tmp_path), hosts=("10.1.2.3",))
    with open(pki.server_cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    ips = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("10.1.2.3") in ips
    assert pki.ca_pem() == ca


def test_token(tmp_path):
    token = auth.ensure_token(str(tmp_path))
    assert len(token) >= 32 and mode(os.path.join(tmp_path, "token")) == 0o600
    assert auth.ensure_token(str(tmp_path)) == token
    a = auth.Authenticator(token)
    assert a.allows("/api", f"Bearer {token}")
    assert not a.allows("/api", "Bearer nope")
    assert not a.allows("/api", None)
    assert a.allows("/healthz", None) and not a.allows("/healthz", "Bearer nope")


def test_kubeconfig_round_trip(tmp_path):
    path = str(tmp_path / "kubeconfig")
    kubeconfig.write(path, "https://127.0.0.1:6443", b"-----PEM-----\n", "tok")
    assert mode(path) == 0o600
    text = open(path).read()
    for needle in ("name: minikctl", "current-context: minikctl", "token: tok", "server: https://127.0.0.1:6443"):
        assert needle in text
    assert kubeconfig.read(path) == kubeconfig.Endpoint("https://127.0.0.1:6443", "tok", b"-----PEM-----\n")


def test_kubeconfig_other_layouts_fall_back_to_yaml(tmp_path):
    import yaml

    doc = {"current-context": "b", "contexts": [{"name": "a", "context": {"cluster": "a", "user": "a"}},
                                                {"name": "b", "context": {"cluster": "cb", "user": "ub"}}],
           "clusters": [{"name": "a", "cluster": {"server": "https://a"}},
                        {"name": "cb", "cluster": {"server": "https://b:1", "certificate-authority-data": "Y2E="}}],
           "users": [{"name": "a", "user": {"token": "ta"}}, {"name": "ub", "user": {"token": "tb"}}]}
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(doc))
    assert kubeconfig.read(str(path)) == kubeconfig.Endpoint("https://b:1", "tb", b"ca")
