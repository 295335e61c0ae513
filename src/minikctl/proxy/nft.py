"""libnftables through ctypes: the kernel's packet rewriting, driven from this process.

One context (nft_ctx) is kept open for the proxy's life. A table created with
`flags owner` belongs to that context's netlink socket: no other process may change it,
and the kernel deletes it when the socket closes, whether by close() or because the
process died (SIGKILL included). So the proxy's rules never outlive the daemon.

Loaded lazily (ctypes and the library): the CLI never imports this module.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading

LIBRARY = "libnftables.so.1"


class NftError(Exception):
    """A command nft refused; the message is nft's own (error buffer)."""


def _load() -> ctypes.CDLL:
    lib = ctypes.CDLL(LIBRARY, use_errno=True)
    lib.nft_ctx_new.restype = ctypes.c_void_p
    lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
    lib.nft_ctx_free.restype = None
    lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_output_buffer.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
    lib.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
    lib.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
    lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.nft_run_cmd_from_buffer.restype = ctypes.c_int
    return lib


class Nft:
    """One libnftables context. run() is serialised: a context is not thread-safe."""

    def __init__(self) -> None:
        self._lib = _load()
        self._ctx = self._lib.nft_ctx_new(0)  # NFT_CTX_DEFAULT
        if not self._ctx:
            raise NftError("nft_ctx_new failed")
        # Output and errors go to buffers we read, not to this process's stdout/stderr.
        self._lib.nft_ctx_buffer_output(self._ctx)
        self._lib.nft_ctx_buffer_error(self._ctx)
        self._lock = threading.Lock()

    def run(self, text: str) -> str:
        """Run one buffer of nft commands as one transaction; its output (for `list`)."""
        with self._lock:
            if not self._ctx:
                raise NftError("nftables context closed")
            rc = self._lib.nft_run_cmd_from_buffer(self._ctx, text.encode())
            out = (self._lib.nft_ctx_get_output_buffer(self._ctx) or b"").decode(errors="replace")
            err = (self._lib.nft_ctx_get_error_buffer(self._ctx) or b"").decode(errors="replace")
        if rc != 0:
            raise NftError(err.strip() or f"nft command failed (rc {rc})")
        return out

    def close(self) -> None:
        """Free the context: the kernel deletes the tables it owns."""
        with self._lock:
            if self._ctx:
                self._lib.nft_ctx_free(self._ctx)
                self._ctx = None

    @property
    def closed(self) -> bool:
        return not self._ctx


def available() -> str | None:
    """None when this process can program nftables, else the reason why not: no
    libnftables, or not permitted (no CAP_NET_ADMIN). Tried for real, on a throwaway
    owned table."""
    try:
        nft = Nft()
    except OSError as exc:
        return f"{LIBRARY} not found ({exc})"
    except (AttributeError, NftError) as exc:
        return f"{LIBRARY} unusable: {exc}"
    name = f"minikctl-probe-{os.getpid()}-{threading.get_ident() % 100000}"
    try:
        nft.run(f"add table ip {name} {{ flags owner; }}\ndelete table ip {name}\n")
    except NftError as exc:
        return f"cannot program nftables: {exc}"
    finally:
        nft.close()
    return None
