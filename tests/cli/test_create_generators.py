"""`create configmap|secret|deployment|service` through the real CLI (no daemon: the
in-process client). The generated objects are compared with what kubectl 1.32 builds
(`kubectl create ... --dry-run=client -o json`, which never contacts a server) when
/usr/bin/kubectl is installed; the rest runs everywhere."""
from __future__ import annotations

import base64
import datetime
import json
import os
import pathlib
import re
import subprocess

import pytest

from tests.conftest import run_cli
from tests.e2e.conftest import daemon, wait_for  # noqa: F401 - the fixture

KUBECTL = "/usr/bin/kubectl"
needs_kubectl = pytest.mark.skipif(not os.path.exists(KUBECTL),
                                   reason=f"{KUBECTL} is not installed: nothing to compare the generated objects with")
# A kubeconfig whose server is a closed loopback port: client dry runs never dial it.
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: unused}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


def kubectl(tmp_path: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "KUBECONFIG": str(config), "FOO": "from-env"}
    return subprocess.run([KUBECTL, *args], capture_output=True, text=True, timeout=30, env=env)


def minikctl(*args: str) -> subprocess.CompletedProcess:
    return run_cli(*args, env={"FOO": "from-env"})


def pruned(value: object) -> object:
    """Drop what Go prints for unset fields (`creationTimestamp: null`, `status: {}`,
    `resources: {}`), which minikctl leaves out."""
    if isinstance(value, dict):
        out = {k: pruned(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != {}}
    if isinstance(value, list):
        return [pruned(v) for v in value]
    return value


def make_key_pair(directory: pathlib.Path, name: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def files(tmp_path):
    """Sources for configmaps and secrets: a text file, a binary one, a directory, an
    env file (BOM, comments, blank lines, a value taken from the environment)."""
    src = tmp_path / "src"
    (src / "dir").mkdir(parents=True)
    (src / "app.conf").write_text("mode=fast\n")
    (src / "blob.bin").write_bytes(b"\xff\xfe\x00<&>")
    (src / "dir" / "one").write_text("1\n")
    (src / "dir" / "two.txt").write_text("2")
    (src / "dir" / "link").symlink_to("one")  # not a regular file: skipped
    (src / "app.env").write_bytes(b"\xef\xbb\xbfA=1\n  # a comment\n\n  B=two words \r\nFOO\nEMPTY=\nC=x=y\n")
    cert, key = make_key_pair(src, "tls")
    return {"dir": str(src), "conf": str(src / "app.conf"), "bin": str(src / "blob.bin"), "d": str(src / "dir"),
            "env": str(src / "app.env"), "cert": cert, "key": key}


# Each: the arguments after `create`, formatted with the `files` paths. All with -n, so
# that kubectl also puts the namespace in the object.
SAME_AS_KUBECTL = [
    "configmap cfg --from-literal=a=1 --from-literal=b=x=y --from-file={conf} --from-file=k={conf} --from-file={d}",
    "configmap cfg --from-file={bin} --from-literal=t=<&> --append-hash",
    "cm cfg --from-env-file={env} --append-hash=true",
    "configmap empty",
    "secret generic s --from-literal=a=1 --from-file={conf},{bin} --from-file={d} --type=example.com/mine --append-hash",
    "secret generic s --from-env-file={env}",
    "secret tls t --cert={cert} --key={key} --append-hash",
    "secret docker-registry r --docker-server=registry.local:5000 --docker-username=u<1> --docker-password=p "
    "--docker-email=me@example.com --append-hash",
    "secret docker-registry r --docker-username=u --docker-password=p",
    "secret docker-registry r --from-file={conf}",
    "deployment web --image=busybox:1.36 --replicas=3 --port=8080 -- sh -c date",
    "deploy web --image=nginx,registry.local:5000/team/api@sha256:abc --image=redis -r 0x10",
    "service clusterip web --tcp=5678:8080 --tcp=80,443:https",
    "svc clusterip headless --clusterip=None",
    "service clusterip fixed --tcp=80 --clusterip=10.0.0.9",
    "service nodeport web --tcp=80:8080 --node-port=30080",
    "service loadbalancer web --tcp=0:http",
    "service externalname ext --external-name=db.example.com --tcp=5432",
]


def with_flags(args: list[str], *flags: str) -> list[str]:
    """Flags go before `--` (what follows is the container's command)."""
    i = args.index("--") if "--" in args else len(args)
    return [*args[:i], *flags, *args[i:]]


@needs_kubectl
@pytest.mark.parametrize("line", SAME_AS_KUBECTL)
def test_generated_object_is_kubectls(minikctl_home, tmp_path, files, line):
    args = with_flags(["create", *line.format(**files).split()], "-n", "ns1", "--dry-run=client", "-o", "json")
    want = kubectl(tmp_path, *args)
    got = minikctl(*args)
    assert want.returncode == 0, want.stderr
    assert (got.returncode, got.stderr) == (0, ""), args
    assert pruned(json.loads(got.stdout)) == pruned(json.loads(want.stdout))


def test_deployment_container_names_from_images(minikctl_home):
    """The last path part without tag or digest; `_` and `.` become `-` plus a random
    suffix (kubectl's sanitizeAndUniquify), so only that is compared by pattern."""
    out = minikctl("create", "deployment", "web", "--image=reg.local:5000/team/my_app.v2:1.0",
                   "--image=busybox@sha256:abc", "--dry-run=client", "-o", "json")
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    first, second = obj["spec"]["template"]["spec"]["containers"]
    assert re.fullmatch(r"my-app-v2-[bcdfghjklmnpqrstvwxz2456789]{5}", first["name"]), first
    assert second == {"name": "busybox", "image": "busybox@sha256:abc"}
    assert obj["metadata"]["labels"] == obj["spec"]["selector"]["matchLabels"] == {"app": "web"}
    assert obj["spec"]["replicas"] == 1


# kubectl's messages, word for word (checked against kubectl itself when it is there).
BAD_INPUT = [
    ("configmap c --from-literal=a=1 --from-literal=a=2",
     'error: cannot add key "a", another key by that name already exists in Data for ConfigMap "c"\n'),
    ("configmap c --from-file={bin} --from-literal=blob.bin=x",
     'error: cannot add key "blob.bin", another key by that name already exists in BinaryData for ConfigMap "c"\n'),
    ("configmap c --from-literal=a", "error: invalid literal source a, expected key=value\n"),
    ("configmap c --from-literal=a/b=1",
     'error: "a/b" is not a valid key name for a ConfigMap: a valid config key must consist of alphanumeric '
     "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
     "'[-._a-zA-Z0-9]+')\n"),
    ("configmap c --from-env-file={env} --from-literal=a=1",
     "error: from-env-file cannot be combined with from-file or from-literal\n"),
    ("configmap c --from-env-file={d}", "error: env config file cannot be a directory\n"),
    ("configmap c --from-file=k={d}", "error: cannot give a key name for a directory path\n"),
    ("configmap c --from-file=={conf}", "error: key name for file path {conf} missing\n"),
    ("configmap c --from-file={dir}/nope", "error: error reading {dir}/nope: no such file or directory\n"),
    ("configmap -- a", "error: exactly one NAME is required, got 0\nSee 'minikctl create configmap -h' for help and examples\n"),
    ("configmap a b", "error: exactly one NAME is required, got 2\nSee 'minikctl create configmap -h' for help and examples\n"),
    ("secret generic s --from-literal=a=1 --from-literal=a=2",
     "error: cannot add key a, another key by that name already exists\n"),
    ("secret generic s --from-env-file={d}", "error: env secret file cannot be a directory\n"),
    ("secret tls t --cert={cert}", "error: key and cert must be specified\n"),
    ("secret tls t --cert={conf} --key={key}", "error: tls: failed to find any PEM data in certificate input\n"),
    ("secret tls t --cert={cert} --key={conf}", "error: tls: failed to find any PEM data in key input\n"),
    ("secret tls t --cert={dir}/nope --key={key}",
     "error: Cannot read file {dir}/nope, open {dir}/nope: no such file or directory\n"),
    ("secret docker-registry r --docker-username=u",
     "error: either --from-file or the combination of --docker-username, --docker-password and --docker-server is "
     "required\n"),
    ("deployment web", 'error: required flag(s) "image" not set\n'),
    ("deployment web --image=a --image=b -- date", "error: cannot specify multiple --image options and command\n"),
    ("service clusterip s", "error: at least one tcp port specifier must be provided\n"),
    ("service clusterip s --tcp=x", 'error: strconv.ParseUint: parsing "x": invalid syntax\n'),
    ("service clusterip s --tcp=70000", 'error: strconv.ParseUint: parsing "70000": value out of range\n'),
    ("service clusterip s --tcp=80:0", "error: must be between 1 and 65535, inclusive\n"),
    ("service clusterip s --tcp=80:Bad_Name",
     "error: must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)\n"),
    ("service externalname s", 'error: required flag(s) "external-name" not set\n'),
    ("service externalname s --external-name=Bad_x", "error: invalid service external name Bad_x\n"),
]


def _kubectl_stderr(text: str) -> str:
    """kubectl logs its required-flag failures through klog; the message is the same."""
    m = re.match(r'E\d{4} [\d:.]+ +\d+ run.go:\d+\] "command failed" err="(.*)"\n$', text)
    return f"error: {m.group(1)}\n".replace('\\"', '"') if m else text.replace("kubectl", "minikctl")


@pytest.mark.parametrize("line,message", BAD_INPUT)
def test_bad_input(minikctl_home, tmp_path, files, line, message):
    args = ["create", *line.format(**files).split()]
    message = message.format(**files)
    got = minikctl(*args)
    assert (got.returncode, got.stdout, got.stderr) == (1, "", message)
    if os.path.exists(KUBECTL):
        want = kubectl(tmp_path, *with_flags(args, "--dry-run=client"))
        assert (want.returncode, _kubectl_stderr(want.stderr)) == (1, message), "kubectl disagrees"


def test_bad_flag_values(minikctl_home):
    """pflag's parse errors (kubectl prints them as `Error: ...` with a --help hint)."""
    for args, message in [
        (("deployment", "web", "--image=x", "--replicas=x"),
         'invalid argument "x" for "-r, --replicas" flag: strconv.ParseInt: parsing "x": invalid syntax'),
        (("deployment", "web", "--image=x", "--port=99999999999"),
         'invalid argument "99999999999" for "--port" flag: strconv.ParseInt: parsing "99999999999": value out of range'),
        (("service", "nodeport", "s", "--tcp=80", "--node-port=x"),
         'invalid argument "x" for "--node-port" flag: strconv.ParseInt: parsing "x": invalid syntax'),
        (("service", "nodeport", "s", "--tcp=80", "--clusterip=None"), "unknown flag: --clusterip"),
    ]:
        out = minikctl("create", *args)
        assert out.returncode == 1 and out.stdout == "", args
        assert out.stderr.startswith(f"error: {message}\nSee 'minikctl create "), out.stderr


def get(kind: str, name: str, *ns: str) -> dict:
    out = minikctl("get", kind, name, "-o", "json", *ns)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_create_configmap_and_secret(minikctl_home, files):
    out = minikctl("create", "configmap", "cfg", "--from-file", files["d"], "--from-file", files["bin"])
    assert (out.returncode, out.stdout, out.stderr) == (0, "configmap/cfg created\n", "")
    cm = get("configmap", "cfg")
    assert cm["data"] == {"one": "1\n", "two.txt": "2"}
    assert cm["binaryData"] == {"blob.bin": base64.b64encode(b"\xff\xfe\x00<&>").decode()}
    again = minikctl("create", "cm", "cfg", "--from-literal=a=1")
    assert (again.returncode, again.stdout, again.stderr) == (
        1, "", 'error: failed to create configmap: configmaps "cfg" already exists\n')

    out = minikctl("create", "secret", "generic", "creds", "--from-env-file", files["env"])
    assert (out.returncode, out.stdout, out.stderr) == (0, "secret/creds created\n", "")
    secret = get("secret", "creds")
    assert {k: base64.b64decode(v).decode() for k, v in secret["data"].items()} == {
        "A": "1", "B": "two words ", "FOO": "from-env", "EMPTY": "", "C": "x=y"}
    assert secret["type"] == "Opaque"  # the server's default when --type is not given
    out = minikctl("create", "secret", "tls", "web-tls", "--cert", files["cert"], "--key", files["key"], "-o", "name")
    assert (out.returncode, out.stdout) == (0, "secret/web-tls\n"), out.stderr
    tls = get("secret", "web-tls")
    assert tls["type"] == "kubernetes.io/tls"
    assert base64.b64decode(tls["data"]["tls.crt"]) == pathlib.Path(files["cert"]).read_bytes()

    out = minikctl("create", "secret", "docker-registry", "pull", "--docker-username=u", "--docker-password=p",
                   "--dry-run=server")
    assert (out.returncode, out.stdout) == (0, "secret/pull created (server dry run)\n"), out.stderr
    assert minikctl("get", "secret", "pull").returncode == 1


def test_invalid_name_is_refused_by_the_server(minikctl_home):
    """Generators do not validate client side: a client dry run prints the object, the
    server refuses it, and kubectl wraps the refusal."""
    dry = minikctl("create", "configmap", "Bad_Name", "--dry-run=client", "-o", "name")
    assert (dry.returncode, dry.stdout) == (0, "configmap/Bad_Name\n"), dry.stderr
    out = minikctl("create", "configmap", "Bad_Name")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith('error: failed to create configmap: ConfigMap "Bad_Name" is invalid: metadata.name: '
                                 'Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'), out.stderr
    assert minikctl("get", "configmaps").stdout == ""


def test_create_deployment_and_service(minikctl_home):
    assert minikctl("create", "namespace", "shop").returncode == 0
    out = minikctl("create", "deploy", "web", "--image=busybox", "--replicas=2", "--port=8080", "-n", "shop",
                   "--", "sleep", "3600")
    assert (out.returncode, out.stdout, out.stderr) == (0, "deployment.apps/web created\n", "")
    deploy = get("deployment", "web", "-n", "shop")
    assert deploy["spec"]["replicas"] == 2 and deploy["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    (container,) = deploy["spec"]["template"]["spec"]["containers"]
    assert (container["name"], container["command"], container["ports"][0]["containerPort"]) == (
        "busybox", ["sleep", "3600"], 8080)

    out = minikctl("create", "service", "clusterip", "web", "--tcp=80:8080", "-n", "shop")
    assert (out.returncode, out.stdout, out.stderr) == (0, "service/web created\n", "")
    svc = get("service", "web", "-n", "shop")
    assert svc["spec"]["selector"] == {"app": "web"} and svc["spec"]["type"] == "ClusterIP"
    port = svc["spec"]["ports"][0]
    assert {k: port[k] for k in ("name", "port", "targetPort", "protocol")} == {
        "name": "80-8080", "port": 80, "targetPort": 8080, "protocol": "TCP"}
    again = minikctl("create", "svc", "nodeport", "web", "--tcp=80", "-n", "shop")
    assert (again.returncode, again.stderr) == (
        1, 'error: failed to create NodePort service: services "web" already exists\n')
    yaml_out = minikctl("create", "service", "externalname", "db", "--external-name=db.example.com",
                        "--dry-run=client", "-o", "yaml")
    assert yaml_out.returncode == 0 and "externalName: db.example.com\n" in yaml_out.stdout
    assert minikctl("get", "service", "db").returncode == 1


def test_shared_generator_flags(minikctl_home, tmp_path):
    """--save-config leaves the annotation `apply` reads back; --validate and a bare
    --dry-run take no following word (pflag's NoOptDefVal), as in kubectl."""
    out = minikctl("create", "configmap", "cfg", "--from-literal=a=1", "--save-config", "--validate",
                   "--field-manager=me")
    assert (out.returncode, out.stdout, out.stderr) == (0, "configmap/cfg created\n", "")
    cm = get("configmap", "cfg")
    saved = json.loads(cm["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert saved["data"] == {"a": "1"} and saved["metadata"]["name"] == "cfg"
    applied = run_cli("apply", "-f", "-", stdin=json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"b": "2"}}))
    assert (applied.returncode, applied.stdout) == (0, "configmap/cfg configured\n"), applied.stderr
    assert get("configmap", "cfg")["data"] == {"b": "2"}  # `a` was in the saved config, so apply removed it

    bare = minikctl("create", "deployment", "web", "--image=nginx", "--dry-run", "-o", "name")
    assert (bare.returncode, bare.stdout) == (0, "deployment.apps/web\n"), bare.stderr
    word = minikctl("create", "configmap", "x", "--dry-run", "client")
    assert (word.returncode, word.stderr) == (
        1, "error: exactly one NAME is required, got 2\nSee 'minikctl create configmap -h' for help and examples\n")
    bad = minikctl("create", "secret", "generic", "s", "--validate=bogus")
    message = ('error: invalid - validate option "bogus"; must be one of: strict (or true), warn, ignore (or false)\n')
    assert (bad.returncode, bad.stderr) == (1, message)
    if os.path.exists(KUBECTL):
        want = kubectl(tmp_path, "create", "secret", "generic", "s", "--validate=bogus", "--dry-run=client")
        assert (want.returncode, want.stderr) == (1, message)
    assert minikctl("get", "secrets", "-o", "name").stdout == ""


@pytest.mark.timeout(120)
def test_generators_through_the_daemon(daemon):
    """Over HTTP: the server's refusal is wrapped as kubectl wraps it, a server dry run
    stores nothing, and a generated Deployment is one the controllers act on."""
    out = minikctl("create", "deployment", "web", "--image=busybox", "--replicas=0")
    assert (out.returncode, out.stdout, out.stderr) == (0, "deployment.apps/web created\n", "")
    again = minikctl("create", "deploy", "web", "--image=busybox")
    assert (again.returncode, again.stderr) == (
        1, 'error: failed to create deployment: deployments.apps "web" already exists\n')
    dry = minikctl("create", "service", "clusterip", "web", "--tcp=80", "--dry-run=server", "-o", "name")
    assert (dry.returncode, dry.stdout) == (0, "service/web\n"), dry.stderr
    assert minikctl("get", "service", "web").returncode == 1

    def replica_set():
        listed = json.loads(minikctl("get", "rs", "-l", "app=web", "-o", "json").stdout)["items"]
        return listed and listed[0]

    rs = wait_for(replica_set, what="the Deployment's ReplicaSet")
    assert rs["metadata"]["ownerReferences"][0]["name"] == "web"
    assert rs["spec"]["template"]["spec"]["containers"][0]["name"] == "busybox"
