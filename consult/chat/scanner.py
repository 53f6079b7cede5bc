"""The virus scanner hook: ClamAV's clamd over its socket (``INSTREAM``), when
``settings.DOCUMENTS_CLAMD`` names one (a unix socket path, or ``host:port``). Off by default.

A file the scanner flags is refused; so is every file while the scanner cannot be reached or
answers something else (fail closed: with a scanner configured, nothing unscanned is stored).
"""

import socket
import struct
from collections.abc import Iterable

from django.conf import settings

CHUNK = 64 * 1024


class ScanFailed(Exception):
    """The scanner could not give a verdict (unreachable, timed out, an error reply)."""


def scanner_configured() -> bool:
    return bool(settings.DOCUMENTS_CLAMD)


def _connect(address: str, timeout: float) -> socket.socket:
    if address.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address)
        return sock
    host, _, port = address.rpartition(":")
    return socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)


def is_infected(chunks: Iterable[bytes]) -> bool:
    """True when clamd reports a finding in the stream; ScanFailed when it gives no verdict."""
    try:
        with _connect(settings.DOCUMENTS_CLAMD, settings.DOCUMENTS_CLAMD_TIMEOUT_SECONDS) as sock:
            sock.sendall(b"zINSTREAM\0")
            for chunk in chunks:
                for start in range(0, len(chunk), CHUNK):
                    part = chunk[start : start + CHUNK]
                    sock.sendall(struct.pack("!L", len(part)) + part)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                data = sock.recv(4096)
                if not data:
                    break
                reply += data
    except (OSError, ValueError) as error:
        raise ScanFailed(str(error)) from error
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if answer.endswith("FOUND"):
        return True
    if answer.endswith("OK"):
        return False
    raise ScanFailed(answer[:200] or "no reply")
