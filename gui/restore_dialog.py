"""Getting an older copy back: browse a profile's versions by run time and restore.

- mirror: the replica's versions folder, one set per run; restore a file or folder to its original
  place (under the source) or to a folder you choose. Existing files are never replaced without
  asking (``engine.jobs.mirror.restore``).
- rclone: the remote's versions, listed with ``rclone lsf``; download one file
  (``engine.jobs.rclone.restore``).
- revit: the dated export folders under the target; open one in the file manager.

Copies, listings and downloads run in a worker thread; the dialog polls for the result.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.core.profiles import Profile
from engine.core.report import human_bytes
from engine.jobs.mirror.restore import RestoreConflict, VersionSet, original_place, restore, version_sets
from engine.jobs.rclone.preflight import find_rclone
from engine.jobs.rclone.restore import RemoteVersion, download, list_versions
from engine.jobs.revit.retention import dated_folders
from gui.when import describe
from gui.window_actions import open_folder

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
POLL_MS = 100


class RestoreDialog(QDialog):
    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.kind = profile.kind
        self.section: Any = getattr(profile.spec, profile.kind)
        self.setWindowTitle(f"Restore — {profile.name}")
        self.resize(820, 480)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="restore")
        self.pending: tuple[Future[Any], Callable[[Any], None]] | None = None
        self.poll = QTimer(self)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self._poll)
        self.sets: list[VersionSet] = []
        self.remote: list[RemoteVersion] = []
        self._build()
        self.reload()

    # -- dialogs (one place, so tests can answer them) ---------------------------------------------

    def ask(self, title: str, text: str) -> bool:
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = QMessageBox.question(self, title, text, buttons, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def choose_folder(self) -> Path | None:
        folder = QFileDialog.getExistingDirectory(self, "Restore into which folder?")
        return Path(folder) if folder else None

    # -- building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.runs = QListWidget()
        self.runs.setAccessibleName("Runs")
        self.runs.currentRowChanged.connect(self._run_chosen)
        self.items = QTreeWidget()
        self.items.setHeaderLabels(["Name", "Size"])
        self.items.setAccessibleName("Kept files")
        self.items.setColumnWidth(0, 380)
        self.items.itemSelectionChanged.connect(self._selection_changed)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.runs)
        split.addWidget(self.items)
        split.setSizes([240, 560])
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        self.original_button = self._button("Restore to &original place", self.restore_original)
        self.elsewhere_button = self._button("Restore &to…", self.restore_elsewhere)
        self.open_button = self._button("&Open folder", self.open_selected)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        source = getattr(self.section, "source", "")
        texts = {
            "mirror": f"Files a run replaced or deleted in the replica, by run. Their original place "
            f"is under {source}.",
            "rclone": f"Files a run replaced or deleted on {getattr(self.section, 'remote', '')}, by run. "
            f"Download one to its original place under {source} or elsewhere.",
            "revit": f"Dated export folders under {getattr(self.section, 'target', '')}. Open one to "
            "copy a model back.",
        }
        self.intro.setText(texts.get(self.kind, ""))
        self.original_button.setVisible(self.kind in ("mirror", "rclone"))
        self.elsewhere_button.setVisible(self.kind in ("mirror", "rclone"))
        self.open_button.setVisible(self.kind in ("mirror", "revit"))

    def _button(self, text: str, slot: Callable[[], None]) -> QPushButton:
        button = self.buttons.addButton(text, QDialogButtonBox.ButtonRole.ActionRole)
        button.clicked.connect(slot)
        return button

    # -- listing ----------------------------------------------------------------------------------

    def reload(self) -> None:
        self.runs.clear()
        self.items.clear()
        now = datetime.now().astimezone()
        if self.kind == "mirror":
            self.sets = version_sets(self.section.replica)
            for entry in self.sets:
                count = sum(1 for p in entry.folder.rglob("*") if p.is_file())
                self._add_run(f"{describe(entry.run, now)} — {count} file{'s' if count != 1 else ''}")
            self._say(f"{len(self.sets)} run(s) kept versions." if self.sets else "No versions kept yet.")
        elif self.kind == "rclone":
            self._say("Listing the remote's versions…")
            binary = find_rclone(self.section.rclone)
            self._in_background(
                lambda: list_versions(binary, self.section.remote, config=self.section.config),
                self._listed,
            )
        elif self.kind == "revit":
            folders = dated_folders(self.section.target)
            for day in sorted(folders, reverse=True):
                item = self._add_run(f"{day:%a %d %b %Y}")
                item.setData(PATH_ROLE, folders[day])
            self._say(f"{len(folders)} dated export folder(s)." if folders else "No exports yet.")
        if self.runs.count():
            self.runs.setCurrentRow(0)
        self._update_buttons()

    def _add_run(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        self.runs.addItem(item)
        return item

    def _listed(self, versions: list[RemoteVersion]) -> None:
        self.remote = versions
        now = datetime.now().astimezone()
        stamps = sorted({(v.run, v.stamp) for v in versions}, reverse=True)
        for run, stamp in stamps:
            count = sum(1 for v in versions if v.stamp == stamp)
            self._add_run(f"{describe(run, now)} — {count} file{'s' if count != 1 else ''}").setData(
                PATH_ROLE, stamp
            )
        self._say(f"{len(stamps)} run(s) kept versions." if stamps else "No versions kept on the remote yet.")
        if self.runs.count():
            self.runs.setCurrentRow(0)

    def _run_chosen(self, row: int) -> None:
        self.items.clear()
        if row < 0:
            return
        if self.kind == "mirror" and row < len(self.sets):
            self._fill_tree(self.sets[row].folder)
        elif self.kind == "rclone":
            stamp = self.runs.item(row).data(PATH_ROLE)
            for version in (v for v in self.remote if v.stamp == stamp):
                item = QTreeWidgetItem([version.relative, human_bytes(version.size)])
                item.setData(0, PATH_ROLE, version)
                self.items.addTopLevelItem(item)
        self._update_buttons()

    def _fill_tree(self, root: Path) -> None:
        parents: dict[Path, QTreeWidgetItem] = {}
        for path in sorted(root.rglob("*")):
            size = "" if path.is_dir() else human_bytes(path.stat().st_size)
            item = QTreeWidgetItem([path.name, size])
            item.setData(0, PATH_ROLE, str(path))
            parent = parents.get(path.parent)
            if parent is None:
                self.items.addTopLevelItem(item)
            else:
                parent.addChild(item)
            parents[path] = item
        self.items.expandAll()

    def _selection_changed(self) -> None:
        self._update_buttons()
        target = self.original_target()
        if target is not None and not self.busy:
            note = " (it exists: you will be asked before it is replaced)" if target.exists() else ""
            self._say(f"Its original place: {target}{note}")

    def original_target(self) -> Path | None:
        chosen = self.selected()
        if chosen is None:
            return None
        if self.kind == "mirror":
            version_set = self.sets[self.runs.currentRow()]
            return original_place(self.section.source, version_set, Path(chosen))
        return Path(self.section.source) / chosen.relative

    # -- restoring --------------------------------------------------------------------------------

    def selected(self) -> Any:
        item = self.items.currentItem()
        return item.data(0, PATH_ROLE) if item is not None else None

    def restore_original(self) -> None:
        chosen, target = self.selected(), self.original_target()
        if chosen is None or target is None:
            return
        if self.kind == "mirror":
            self._restore_file(Path(chosen), target)
        else:
            self._download(chosen, target)

    def restore_elsewhere(self) -> None:
        chosen = self.selected()
        folder = self.choose_folder() if chosen is not None else None
        if folder is None:
            return
        if self.kind == "mirror":
            self._restore_file(Path(chosen), folder / Path(chosen).name)
        else:
            self._download(chosen, folder / Path(chosen.relative).name)

    def _restore_file(self, item: Path, target: Path, overwrite: bool = False) -> None:
        def done(count: Any) -> None:
            if isinstance(count, RestoreConflict):
                if self.ask(
                    "Replace existing files?",
                    f"{count}\n\nReplace them with the copies from this run? "
                    "(No leaves everything as it is.)",
                ):
                    self._restore_file(item, target, overwrite=True)
                else:
                    self._say("Nothing was restored; the existing files were left alone.")
                return
            self._say(f"Restored {count} file{'s' if count != 1 else ''} to {target}.")

        self._say(f"Restoring {item.name} to {target}…")
        self._in_background(
            lambda: _conflict_as_value(lambda: restore(item, target, overwrite=overwrite)), done
        )

    def _download(self, version: RemoteVersion, target: Path, overwrite: bool = False) -> None:
        if target.exists() and not overwrite:
            if not self.ask(
                "Replace the existing file?", f"{target} exists.\n\nReplace it with the kept copy?"
            ):
                self._say("Nothing was downloaded; the existing file was left alone.")
                return
            overwrite = True
        target.parent.mkdir(parents=True, exist_ok=True)
        binary = find_rclone(self.section.rclone)
        self._say(f"Downloading {version.relative} to {target.parent}…")
        self._in_background(
            lambda: download(
                binary,
                self.section.remote,
                version,
                str(target.parent),
                config=self.section.config,
                overwrite=overwrite,
            ),
            lambda _r: self._say(f"Downloaded {target}."),
        )

    def open_selected(self) -> None:
        if self.kind == "revit":
            item = self.runs.currentItem()
            if item is not None:
                open_folder(Path(item.data(PATH_ROLE)))
            return
        chosen = self.selected()
        if chosen is not None:
            path = Path(chosen)
            open_folder(path if path.is_dir() else path.parent)
        elif self.runs.currentRow() >= 0:
            open_folder(self.sets[self.runs.currentRow()].folder)

    # -- background work --------------------------------------------------------------------------

    def _in_background(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        self.pending = (self.pool.submit(work), then)
        self._update_buttons()
        self.poll.start()

    def _poll(self) -> None:
        if self.pending is None or not self.pending[0].done():
            return
        future, then = self.pending
        self.pending = None
        self.poll.stop()
        error = future.exception()
        if error is not None:
            self._say(f"Could not finish: {error}")
        else:
            then(future.result())
        self._update_buttons()

    @property
    def busy(self) -> bool:
        return self.pending is not None

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None and not self.busy
        self.original_button.setEnabled(chosen)
        self.elsewhere_button.setEnabled(chosen)
        self.open_button.setEnabled(self.runs.currentRow() >= 0)

    def done(self, result: int) -> None:  # closing: no new work; a copy under way finishes
        self.poll.stop()
        self.pool.shutdown(wait=False)
        super().done(result)


def _conflict_as_value(work: Callable[[], int]) -> int | RestoreConflict:
    try:
        return work()
    except RestoreConflict as conflict:
        return conflict
