"""The API server's PKI: a CA and a server certificate signed by it, made on first start.

kubectl sends its bearer token only over https, and Go rejects certificates without
subject alternative names, so the server certificate names IP:127.0.0.1 and
DNS:localhost (plus any extra host it is bound to). Files live under
$MINIKCTL_HOME/pki/; private keys are written 0600. The CA outlives server
certificates: a kubeconfig handed out once keeps working after a re-issue.
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import ssl
from dataclasses import dataclass

CA_CERT, CA_KEY = "ca.crt", "ca.key"
SERVER_CERT, SERVER_KEY = "server.crt", "server.key"
_VALID_DAYS = 3650
_DEFAULT_SANS = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class Pki:
    ca_cert: str
    server_cert: str
    server_key: str

    def ca_pem(self) -> bytes:
        with open(self.ca_cert, "rb") as f:
            return f.read()


def ensure(home: str, hosts: tuple[str, ...] = ()) -> Pki:
    """The CA and server certificate under home/pki, created when missing, and the
    server certificate re-issued when it does not cover every name in `hosts`."""
    pki_dir = os.path.join(home, "pki")
    os.makedirs(pki_dir, mode=0o700, exist_ok=True)
    paths = {n: os.path.join(pki_dir, n) for n in (CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY)}
    sans = tuple(dict.fromkeys((*_DEFAULT_SANS, *(h for h in hosts if h and h not in ("0.0.0.0", "::")))))
    if not (os.path.exists(paths[CA_CERT]) and os.path.exists(paths[CA_KEY])):
        _write_ca(paths[CA_CERT], paths[CA_KEY])
    if not _covers(paths[SERVER_CERT], paths[SERVER_KEY], sans):
        _write_server(paths, sans)
    return Pki(paths[CA_CERT], paths[SERVER_CERT], paths[SERVER_KEY])


def server_context(pki: Pki) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(pki.server_cert, pki.server_key)
    # HTTP/1.1 only: Go clients offer h2 and fall back when the server does not pick it.
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


# -- making certificates ------------------------------------------------------------


def _new_key():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric import ec

    # P-256: fast to make and to handshake with, accepted by Go and OpenSSL alike.
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str):  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "minikctl"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject, issuer, public_key):  # type: ignore[no-untyped-def]
    from cryptography import x509

    now = _dt.datetime.now(_dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(minutes=5))  # tolerate a little clock skew
            .not_valid_after(now + _dt.timedelta(days=_VALID_DAYS)))


def _write_ca(cert_path: str, key_path: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    key = _new_key()
    name = _name("minikctl-ca")
    cert = (_builder(name, name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write_key(key_path, key)
    _write_cert(cert_path, cert)


def _write_server(paths: dict[str, str], sans: tuple[str, ...]) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    with open(paths[CA_KEY], "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), password=None)
    with open(paths[CA_CERT], "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    key = _new_key()
    cert = (_builder(_name("minikctl-apiserver"), ca_cert.subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName([_general_name(s) for s in sans]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_key(paths[SERVER_KEY], key)
    _write_cert(paths[SERVER_CERT], cert)


def _general_name(san: str):  # type: ignore[no-untyped-def]
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(san))
    except ValueError:
        return x509.DNSName(san)


def _covers(cert_path: str, key_path: str, sans: tuple[str, ...]) -> bool:
    """Whether an existing server certificate names every SAN and is not near expiry."""
    if not (os.path.exists(cert_path) and os.path.exists(key_path)):
        return False
    from cryptography import x509

    try:
        with open(cert_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    have = {str(n) for n in names.get_values_for_type(x509.IPAddress)} | set(names.get_values_for_type(x509.DNSName))
    if not all(str(_canonical(s)) in have for s in sans):
        return False
    left = cert.not_valid_after_utc - _dt.datetime.now(_dt.timezone.utc)
    return left > _dt.timedelta(days=30)


def _canonical(san: str) -> str:
    try:
        return str(ipaddress.ip_address(san))
    except ValueError:
        return san


def _write_key(path: str, key) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    write_private(path, data)


def _write_cert(path: str, cert) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp, path)


def write_private(path: str, data: bytes) -> None:
    """Write a secret file atomically, readable by its owner only (0600) from the start."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o600)  # an existing tmp file keeps its old mode through O_CREAT
    os.replace(tmp, path)
