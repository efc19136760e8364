"""One Rearguard window per user (and per Rearguard home): a second start asks the first to show
its window, then exits.

The first instance listens on a local socket (a named pipe on Windows, a socket file elsewhere)
whose name is derived from the user and the data folder. ``rearguard run X`` from a terminal does
not come here at all: it is the engine's CLI, and the per-profile lock keeps its runs and the
app's apart.
"""

from __future__ import annotations

import getpass
import hashlib
import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from engine.core.folders import Folders

log = logging.getLogger("rearguard.gui")
SHOW = b"show\n"
CONNECT_MS = 500


def server_name(folders: Folders) -> str:
    """A name unique to this user and Rearguard home, short enough for a socket path."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some service environments
        user = "user"
    digest = hashlib.sha256(f"{user}\0{folders.data.resolve()}".encode()).hexdigest()[:16]
    return f"rearguard-{digest}"


def ask_first_to_show(name: str, timeout_ms: int = CONNECT_MS) -> bool:
    """True when another instance listens and was asked to show its window."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(SHOW)
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """The first instance's listener; ``show_requested`` fires when a second start knocks."""

    show_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        if self.server.listen(self.name):
            return True
        # A socket file left by an instance that crashed: nobody answered it, so remove and retry.
        QLocalServer.removeServer(self.name)
        ok = self.server.listen(self.name)
        if not ok:
            log.warning("single instance: cannot listen on %s: %s", self.name, self.server.errorString())
        return ok

    def _accept(self) -> None:
        # The knock is a few bytes written right after connecting: read them here (briefly
        # blocking) rather than keep per-socket slots alive beyond the connection.
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            arrived = socket.bytesAvailable() or socket.waitForReadyRead(CONNECT_MS)
            if arrived and SHOW.strip() in bytes(socket.readAll().data()):
                self.show_requested.emit()
            socket.disconnectFromServer()
            socket.deleteLater()

    def close(self) -> None:
        self.server.close()


def claim(folders: Folders, parent: QObject | None = None) -> InstanceServer | None:
    """Become the one instance (returns its server) or, when one runs, ask it to show (None)."""
    name = server_name(folders)
    if ask_first_to_show(name):
        return None
    server = InstanceServer(name, parent)
    server.listen()
    return server
