"""The Jupyter kernels a build starts talk to it over Unix sockets, not TCP.

ipykernel 7 prints ``[IPKernelApp] WARNING | Kernel is running over TCP without encryption`` each
time a notebook runs, and rightly: on TCP any local user can connect to the kernel's ports. The
transport is chosen by the kernel manager, which nbclient creates inside myst-nb and jupyter-cache
with no configuration of ours (jupyter/jupyter_client#808 asks for a way). What jupyter_client does
let a process choose is the manager's *provisioner*: ``JUPYTER_DEFAULT_PROVISIONER_NAME`` names it,
among those registered under the ``jupyter_client.kernel_provisioners`` entry point. Ours is
jupyter_client's own local provisioner with the IPC transport: the kernel's sockets are files in a
folder only this user can open, removed when the kernel stops.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from jupyter_client.provisioning import LocalProvisioner

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata

# A Unix socket's path holds at most 104 bytes (macOS; 108 on Linux), with "-<port>" added.
SOCKET_PATH_BYTES = 96
PROVISIONER = "deepdive-ipc"
PROVISIONER_GROUP = "jupyter_client.kernel_provisioners"
DEFAULT_PROVISIONER_VARIABLE = "JUPYTER_DEFAULT_PROVISIONER_NAME"


class IPCProvisioner(LocalProvisioner):
    """A local kernel whose channels are Unix sockets in a private temporary folder."""

    socket_folder: str | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        manager = self.parent
        if manager is not None and self.socket_folder is None:
            self.socket_folder = short_private_folder()
            if self.socket_folder is not None:
                manager.transport = "ipc"
                manager.ip = os.path.join(self.socket_folder, "kernel")
        return await super().pre_launch(**kwargs)

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if not restart and self.socket_folder is not None:
            shutil.rmtree(self.socket_folder, ignore_errors=True)
            self.socket_folder = None


def short_private_folder() -> str | None:
    """A new folder only this user can open (``mkdtemp``), in the temporary folder, or in /tmp when
    that one's path is too long for a socket (macOS's is 49 bytes); None if neither will do, and
    the kernel keeps TCP."""
    for parent in (None, "/tmp"):
        if parent is not None and not os.path.isdir(parent):
            continue
        folder = tempfile.mkdtemp(prefix="deepdive-kernel-", dir=parent)
        if len(os.fsencode(os.path.join(folder, "kernel"))) <= SOCKET_PATH_BYTES:
            return folder
        os.rmdir(folder)
    return None


def is_registered() -> bool:
    """Whether jupyter_client can find the provisioner (Deep Dives is installed, not just on the path)."""
    return any(entry.name == PROVISIONER for entry in entry_points(group=PROVISIONER_GROUP))


def setup(app: Sphinx) -> ExtensionMetadata:
    # Windows has no Unix sockets for ZeroMQ's IPC; an author's own choice of provisioner stands.
    if os.name == "posix" and is_registered():
        os.environ.setdefault(DEFAULT_PROVISIONER_VARIABLE, PROVISIONER)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
