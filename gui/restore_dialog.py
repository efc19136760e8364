"""Getting an older copy back: browse a profile's kept copies by run and restore.

Everything goes through ``engine.core.restore`` (the same for every kind): mirror and rclone
versions go back to their original place under the source or into a folder you choose; Revit
exports are copied into a folder you choose (a model returns to the server through Revit). Existing
files are never replaced without asking, and a replaced file is kept first.

Listings and copies run in a worker thread; the dialog polls for the result. Each run is listed
with its date and time to the second and its file count; each kept file with its size, its modified
time and what the run did to it (replaced or deleted, where that can be told); a filter box narrows
the list by name. Nothing is selected until the user picks an entry, so no button acts on a folder by
accident.
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
    QHeaderView,
    QLabel,
    QLineEdit,
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
from engine.core.restore import (
    RestoreConflict,
    RestoreEntry,
    RestorePoint,
    can_restore_in_place,
    original_place,
    restore,
    restore_points,
    what_happened,
)
from gui.desktop import open_folder
from gui.restore_list import HAPPENED_TIPS, HAPPENED_WORDS, all_items, filter_tree, run_tip, run_words

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
POLL_MS = 100
NAME, SIZE, MODIFIED, HAPPENED = range(4)


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
        self.points: list[RestorePoint] = []
        self.fates: dict[str, dict[str, str | None]] = {}  # point key -> path -> replaced/deleted
        self.fate_work: tuple[Future[dict[str, str | None]], str] | None = None
        self.in_place = can_restore_in_place(profile)
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
        self.items.setHeaderLabels(["Name", "Size", "Modified", "What happened"])
        self.items.setAccessibleName("Kept files")
        header = self.items.header()  # the name takes the room left: nothing hides sideways
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        self.items.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.items.itemSelectionChanged.connect(self._selection_changed)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by name…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Filter kept files")
        self.search.textChanged.connect(self._filter)
        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        right_box.addWidget(self.search)
        right_box.addWidget(self.items, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.runs)
        split.addWidget(right)
        split.setSizes([260, 540])
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
            "revit": f"Dated export folders under {getattr(self.section, 'target', '')}. Copy a model "
            "into a folder of your choice, or open the folder.",
        }
        self.intro.setText(texts.get(self.kind, ""))
        self.original_button.setVisible(self.in_place)
        self.open_button.setVisible(self.kind in ("mirror", "revit"))

    def _button(self, text: str, slot: Callable[[], None]) -> QPushButton:
        button = self.buttons.addButton(text, QDialogButtonBox.ButtonRole.ActionRole)
        button.clicked.connect(slot)
        return button

    # -- listing ----------------------------------------------------------------------------------

    def reload(self) -> None:
        self.runs.clear()
        self.items.clear()
        self.points = []
        self._say("Listing the kept copies…")
        self._in_background(lambda: restore_points(self.profile), self._listed)

    def _add_run(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        self.runs.addItem(item)
        return item

    def _listed(self, points: list[RestorePoint]) -> None:
        self.points = points
        for point in points:
            self._add_run(run_words(point, self.kind)).setToolTip(run_tip(point))
        empty = {"revit": "No exports yet.", "rclone": "No versions kept on the remote yet."}
        what = "dated export folder(s)" if self.kind == "revit" else "run(s) kept versions"
        found = f"{len(points)} {what}."
        self._say(found if points else empty.get(self.kind, "No versions kept yet."))
        if self.runs.count():
            self.runs.setCurrentRow(0)

    @property
    def point(self) -> RestorePoint | None:
        row = self.runs.currentRow()
        return self.points[row] if 0 <= row < len(self.points) else None

    def _run_chosen(self, row: int) -> None:
        self.items.clear()
        point = self.point
        if point is not None:
            self._fill_tree(point.entries)
            self._ask_fates(point)
        self.items.clearSelection()  # nothing chosen until the user picks: no button acts yet
        self.items.selectionModel().clearCurrentIndex()
        self._filter()
        self._update_buttons()

    def _fill_tree(self, entries: tuple[RestoreEntry, ...]) -> None:
        if self.kind == "revit":  # the models of a dated folder, by their path: one row each
            files = [e for e in entries if not e.is_dir]
            for entry in files:
                self.items.addTopLevelItem(self._item(entry, entry.path))
            if not files:
                self._say("No model was exported into this folder.")
            return
        parents: dict[str, QTreeWidgetItem] = {}
        for entry in entries:
            parent_path, _slash, name = entry.path.rpartition("/")
            parent = parents.get(parent_path)
            item = self._item(entry, name if parent is not None else entry.path)
            if parent is None:
                self.items.addTopLevelItem(item)
            else:
                parent.addChild(item)
            if entry.is_dir:
                parents[entry.path] = item
        self.items.expandAll()

    def _item(self, entry: RestoreEntry, shown: str) -> QTreeWidgetItem:
        modified = datetime.fromtimestamp(entry.modified) if entry.modified is not None else None
        item = QTreeWidgetItem(
            [
                shown,
                "" if entry.is_dir else human_bytes(entry.size),
                f"{modified:%Y-%m-%d %H:%M:%S}" if modified else "",
                "exported" if self.kind == "revit" and not entry.is_dir else "",
            ]
        )
        item.setData(NAME, PATH_ROLE, entry)
        item.setTextAlignment(SIZE, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def _ask_fates(self, point: RestorePoint) -> None:
        """What the run did to each file (replaced or deleted), found in the worker thread."""
        if not self.in_place or point.key in self.fates:
            self._show_fates()
            return
        entries, profile = point.entries, self.profile
        work = self.pool.submit(lambda: {e.path: what_happened(profile, e) for e in entries})
        self.fate_work = (work, point.key)
        self.poll.start()

    def _show_fates(self) -> None:
        point = self.point
        fates = self.fates.get(point.key) if point is not None else None
        if not fates:
            return
        for item in all_items(self.items):
            entry = item.data(NAME, PATH_ROLE)
            fate = fates.get(entry.path) if isinstance(entry, RestoreEntry) else None
            item.setText(HAPPENED, HAPPENED_WORDS.get(fate or "", ""))
            item.setToolTip(HAPPENED, HAPPENED_TIPS.get(fate or "", ""))

    def _filter(self) -> None:
        filter_tree(self.items, self.search.text())

    def _selection_changed(self) -> None:
        self._update_buttons()
        target = self.original_target()
        if target is not None and not self.busy:
            note = " (it exists: you will be asked before it is replaced)" if target.exists() else ""
            self._say(f"Its original place: {target}{note}")

    def original_target(self) -> Path | None:
        chosen = self.selected()
        if chosen is None or not self.in_place:
            return None
        return original_place(self.profile, chosen)

    # -- restoring --------------------------------------------------------------------------------

    def selected(self) -> RestoreEntry | None:
        """The entry the user picked (None until they pick one: nothing is chosen for them)."""
        chosen = self.items.selectedItems()
        return chosen[0].data(NAME, PATH_ROLE) if chosen else None

    def restore_original(self) -> None:
        chosen, target = self.selected(), self.original_target()
        if chosen is None or target is None:
            return
        self._restore(chosen, None, target)

    def restore_elsewhere(self) -> None:
        chosen = self.selected()
        folder = self.choose_folder() if chosen is not None else None
        if chosen is None or folder is None:
            return
        self._restore(chosen, folder, folder / chosen.name)

    def _restore(self, entry: RestoreEntry, into: Path | None, target: Path, overwrite: bool = False) -> None:
        point = self.point
        if point is None:
            return

        def done(count: Any) -> None:
            if isinstance(count, RestoreConflict):
                if self.ask(
                    "Replace existing files?",
                    f"{count}\n\nReplace them with the copies from this run? The files replaced are "
                    "kept (No leaves everything as it is).",
                ):
                    self._restore(entry, into, target, overwrite=True)
                else:
                    self._say("Nothing was restored; the existing files were left alone.")
                return
            kept = " (the files it replaced were kept)" if overwrite else ""
            self._say(f"Restored {count} file{'s' if count != 1 else ''} to {target}{kept}.")

        self._say(f"Restoring {entry.name} to {target}…")
        self._in_background(
            lambda: _conflict_as_value(
                lambda: restore(self.profile, point, entry, into=into, overwrite=overwrite)
            ),
            done,
        )

    def open_selected(self) -> None:
        point = self.point
        if point is None or point.folder is None:
            return
        chosen = self.selected()
        path = point.folder if chosen is None else point.folder.joinpath(*chosen.path.split("/"))
        open_folder(path if path.is_dir() else path.parent)

    # -- background work --------------------------------------------------------------------------

    def _in_background(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        self.pending = (self.pool.submit(work), then)
        self._update_buttons()
        self.poll.start()

    def _poll(self) -> None:
        if self.fate_work is not None and self.fate_work[0].done():
            work, key = self.fate_work
            self.fate_work = None
            if work.exception() is None:
                self.fates[key] = work.result()
                self._show_fates()
        if self.pending is None or not self.pending[0].done():
            if self.pending is None and self.fate_work is None:
                self.poll.stop()
            return
        future, then = self.pending
        self.pending = None
        if self.fate_work is None:
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
        self.open_button.setEnabled(self.point is not None and self.point.folder is not None)

    def done(self, result: int) -> None:  # closing: no new work; a copy under way finishes
        self.poll.stop()
        self.pool.shutdown(wait=False)
        super().done(result)


def _conflict_as_value(work: Callable[[], int]) -> int | RestoreConflict:
    try:
        return work()
    except RestoreConflict as conflict:
        return conflict
