"""minikctl: Kubernetes on one machine, every container a local process.

Importing this package has no side effects and pulls in nothing heavy: the CLI's start
time depends on it.
"""
__version__ = "0.1.0"
# The Kubernetes API version whose objects, defaults and validation we follow.
KUBERNETES_VERSION = "v1.32.0"
