"""The /etc/resolv.conf and /etc/hosts a pod gets, as the kubelet writes them. Pods
that run in a private mount namespace see them at those paths (dnsPolicy ClusterFirst):
names like web.default.svc.cluster.local resolve through the daemon's DNS server."""
from __future__ import annotations

import os

from minikctl.api import allocation
from minikctl.runtime.interface import Mount, Sandbox

DNS_IP = allocation.CLUSTER_DNS_IP
DOMAIN = "cluster.local"


# -- what a pod gets -------------------------------------------------------------------------------

def pod_resolv_conf(namespace: str, *, dns_ip: str = DNS_IP, domain: str = DOMAIN) -> str:
    """The /etc/resolv.conf of a pod with dnsPolicy ClusterFirst (the kubelet's)."""
    return (f"search {namespace}.svc.{domain} svc.{domain} {domain}\n"
            f"nameserver {dns_ip}\n"
            "options ndots:5\n")


def pod_hosts(pod_ip: str, hostname: str, *, namespace: str = "default", subdomain: str | None = None,
              host_aliases: list[dict] | None = None, domain: str = DOMAIN) -> str:
    """The /etc/hosts the kubelet writes for a pod (managedHostsFileContent)."""
    lines = ["# Kubernetes-managed hosts file.",
             "127.0.0.1\tlocalhost",
             "::1\tlocalhost ip6-localhost ip6-loopback",
             "fe00::0\tip6-localnet",
             "fe00::0\tip6-mcastprefix",
             "fe00::1\tip6-allnodes",
             "fe00::2\tip6-allrouters"]
    if subdomain:
        lines.append(f"{pod_ip}\t{hostname}.{subdomain}.{namespace}.svc.{domain}\t{hostname}")
    else:
        lines.append(f"{pod_ip}\t{hostname}")
    for alias in host_aliases or []:
        if alias.get("ip") and alias.get("hostnames"):
            lines.append("")
            lines.append("# Entries added by HostAliases.")
            lines.append(f"{alias['ip']}\t" + "\t".join(alias["hostnames"]))
    return "\n".join(lines) + "\n"


def mounts(pod: dict, sandbox: Sandbox, hostname: str, *, dns_ip: str = DNS_IP) -> list[Mount]:
    """Write the pod's resolv.conf and hosts into its directory; the mounts that put
    them at /etc/resolv.conf and /etc/hosts. None for dnsPolicy Default/None or
    hostNetwork pods, which keep the host's files."""
    spec = pod.get("spec") or {}
    if spec.get("hostNetwork") or spec.get("dnsPolicy", "ClusterFirst") not in ("ClusterFirst",):
        return []
    ns = pod["metadata"].get("namespace", "default")
    files = {
        "resolv.conf": pod_resolv_conf(ns, dns_ip=dns_ip),
        "hosts": pod_hosts(sandbox.ip, hostname, namespace=ns, subdomain=spec.get("subdomain"),
                           host_aliases=spec.get("hostAliases")),
    }
    out = []
    for name, text in files.items():
        path = os.path.join(sandbox.directory, name)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
        out.append(Mount(host_path=path, container_path=f"/etc/{name}", read_only=True))
    return out
