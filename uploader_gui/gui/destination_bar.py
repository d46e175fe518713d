"""Choosing where files go: company, project, then a Documents folder or a photo album.

Folders open lazily, one level per expand, from background jobs; nothing here waits on the
network on the GUI thread. Files dropped on a folder or album go there; the chosen one's files
are listed below the tree.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFormLayout, QHBoxLayout,
                               QInputDialog, QLabel, QPushButton, QSplitter, QStyle,
                               QVBoxLayout, QWidget)

from uploader_gui.gui.drop_tree import DropTree, Verdict
from uploader_gui.gui.drop_zone import DropContents
from uploader_gui.gui.failure_words import explain
from uploader_gui.gui.folder_contents import (FolderContents, ListedFile, files_of_folder,
                                              photos_of_album)
from uploader_gui.gui.signals import emit
from uploader_gui.gui.tasks import TaskRunner
from uploader_gui.procore.client import Scope
from uploader_gui.transfer.model import Destination, DestinationKind
from uploader_gui.transfer.scan import procore_name

log = logging.getLogger(__name__)

#: The project combo's first entry: the company's own Documents tool.
COMPANY_DOCUMENTS = -1
#: A folder's listed files are shown again without asking Procore for this long (seconds).
CONTENTS_FRESH_FOR = 30.0


class Browses(Protocol):
    """The part of the Procore client the picker uses."""

    def companies(self) -> list[dict[str, Any]]: ...
    def projects(self, company_id: int) -> list[dict[str, Any]]: ...
    def root_folder(self, scope: Scope, *, files: bool = True) -> dict[str, Any]: ...
    def folder(self, scope: Scope, folder_id: int, *,
               files: bool = True) -> dict[str, Any]: ...
    def create_folder(self, scope: Scope, name: str, parent_id: int | None) -> dict[str, Any]: ...
    def albums(self, scope: Scope) -> list[dict[str, Any]]: ...
    def images(self, scope: Scope, album_id: int | None) -> list[dict[str, Any]]: ...


class NodeKind(enum.Enum):
    #: The Documents tool's root folder (of the project or the company).
    ROOT = enum.auto()
    #: A folder below the root.
    FOLDER = enum.auto()
    #: The project's Photos tool (photos go in unless an album is chosen).
    PHOTOS = enum.auto()
    #: A photo album.
    ALBUM = enum.auto()
    #: "Loading…" stand-in until a folder's children arrive.
    PLACEHOLDER = enum.auto()


class NodeRole(enum.IntEnum):
    KIND = Qt.ItemDataRole.UserRole
    ID = Qt.ItemDataRole.UserRole + 1
    #: True once the children were fetched.
    LOADED = Qt.ItemDataRole.UserRole + 2
    #: The path shown to people ("Main Street / Documents / Drawings").
    LABEL = Qt.ItemDataRole.UserRole + 3
    #: The files already there (list[ListedFile]), once listed.
    FILES = Qt.ItemDataRole.UserRole + 4
    #: When FILES were listed (time.monotonic()).
    FILES_AT = Qt.ItemDataRole.UserRole + 5


class DestinationBar(QWidget):
    """Company and project pickers above a lazily opened tree of folders and albums."""

    #: The chosen Destination, or None when the choice was cleared.
    destination_changed = Signal(object)
    #: A finished load (for tests and the status line): what was loaded.
    loaded = Signal(str)
    #: A sentence for the person when something could not be loaded or created.
    problem = Signal(str)
    #: Files dropped on a folder or album of the tree: (list[Path], Destination).
    dropped = Signal(list, object)
    #: The chosen folder's files were listed (for tests and the screen reader): its path.
    contents_loaded = Signal(str)

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._client: Browses | None = None
        self._generation = 0
        self._destination: Destination | None = None
        self._wanted: Destination | None = None
        #: The remembered destination, listed until a folder of the tree is chosen (the tree
        #: opens one level at a time, so a deep folder is not there to select yet).
        self._remembered_node: QStandardItem | None = None
        #: A folder just created under a parent whose children were still unfetched.
        self._select_after_load: int | None = None

        self.company_combo = QComboBox(self)
        self.company_combo.setAccessibleName("Company")
        self.project_combo = QComboBox(self)
        self.project_combo.setAccessibleName("Project")
        self.tree_model = QStandardItemModel(self)
        self.tree = DropTree(self._drop_verdict, self)
        self.tree.setAccessibleName("Folders and photo albums")
        self.tree.setHeaderHidden(True)
        self.tree.setModel(self.tree_model)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.new_folder_button = QPushButton("&New folder…", self)
        self.new_folder_button.setAccessibleName("New folder")
        self.new_folder_button.setToolTip("Create a folder inside the chosen folder")
        self.new_folder_button.setEnabled(False)
        self.chosen_label = QLabel(self)
        self.chosen_label.setWordWrap(True)
        self.chosen_label.setAccessibleName("Chosen destination")
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        #: What releasing dragged files over the tree would do ("" when no drag is over it).
        self.drop_hint = QLabel(self)
        self.drop_hint.setObjectName("dropHint")
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setAccessibleName("Where dropped files would go")
        self.drop_hint.hide()
        self.contents = FolderContents(self)

        form = QFormLayout()
        form.addRow("&Company:", self.company_combo)
        form.addRow("&Project:", self.project_combo)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_folder_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        where = QLabel("&Where:", self)
        where.setBuddy(self.tree)
        layout.addWidget(where)
        tree_part = QWidget(self)
        tree_layout = QVBoxLayout(tree_part)
        tree_layout.setContentsMargins(0, 0, 0, 0)
        tree_layout.addWidget(self.tree, 1)
        tree_layout.addWidget(self.drop_hint)
        tree_layout.addLayout(buttons)
        tree_layout.addWidget(self.chosen_label)
        tree_layout.addWidget(self.status_label)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(tree_part)
        self.splitter.addWidget(self.contents)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([360, 240])
        layout.addWidget(self.splitter, 1)

        self.company_combo.currentIndexChanged.connect(self._company_chosen)
        self.project_combo.currentIndexChanged.connect(self._project_chosen)
        self.tree.expanded.connect(self._expanded)
        self.tree.selectionModel().currentChanged.connect(self._node_chosen)
        self.new_folder_button.clicked.connect(self._ask_new_folder)
        self.tree.dropped.connect(self._dropped_on)
        self.tree.refused.connect(lambda lines: emit(self.problem, " ".join(lines)))
        self.tree.hint.connect(self._show_drop_hint)
        self.contents.refresh_button.clicked.connect(self.refresh_contents)
        self._show_chosen()

    # -- public -------------------------------------------------------------------------------

    @property
    def destination(self) -> Destination | None:
        return self._destination

    def set_client(self, client: Browses | None, remembered: Destination | None = None) -> None:
        """Start over with a (new) signed-in client; ``remembered`` is chosen again if found."""
        self._client = client
        self._wanted = remembered
        self._generation += 1
        self._clear_combo(self.company_combo)
        self._clear_combo(self.project_combo)
        self._clear_tree()
        self._set_destination(remembered)
        if client is None:
            self.status_label.setText("Sign in to choose where files go.")
            return
        self.status_label.setText("Loading companies…")
        generation = self._generation
        self._tasks.submit(client.companies,
                           lambda rows: self._companies_loaded(generation, rows),
                           lambda exc: self._failed(generation, "the companies", exc))

    def _clear_tree(self) -> None:
        self.tree_model.clear()
        self._remembered_node = None
        self.contents.show_nothing()

    def _clear_combo(self, combo: QComboBox) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.blockSignals(False)

    def set_destination(self, destination: Destination | None) -> None:
        self._set_destination(destination)

    # -- companies and projects ---------------------------------------------------------------

    def _companies_loaded(self, generation: int, rows: list[dict[str, Any]]) -> None:
        if generation != self._generation:
            return
        self.status_label.clear()
        combo = self.company_combo
        combo.blockSignals(True)
        for row in sorted(rows, key=lambda r: str(r.get("name", "")).casefold()):
            combo.addItem(str(row.get("name") or f"Company {row['id']}"), int(row["id"]))
        wanted = self._wanted.company_id if self._wanted else None
        index = combo.findData(wanted) if wanted is not None else -1
        combo.setCurrentIndex(index if index >= 0 else (0 if combo.count() else -1))
        combo.blockSignals(False)
        if not rows:
            self.status_label.setText("Your Procore account has no companies to upload to.")
        emit(self.loaded, "companies")
        self._company_chosen()

    def _company_chosen(self, *_: object) -> None:
        company_id = self.company_combo.currentData()
        self._generation += 1
        self._clear_combo(self.project_combo)
        self._clear_tree()
        if self._wanted is None or self._wanted.company_id != company_id:
            self._set_destination(None)
        if company_id is None or self._client is None:
            return
        client, generation = self._client, self._generation
        self.status_label.setText("Loading projects…")
        self._tasks.submit(lambda: client.projects(company_id),
                           lambda rows: self._projects_loaded(generation, rows),
                           lambda exc: self._failed(generation, "the projects", exc))

    def _projects_loaded(self, generation: int, rows: list[dict[str, Any]]) -> None:
        if generation != self._generation:
            return
        self.status_label.clear()
        combo = self.project_combo
        combo.blockSignals(True)
        combo.addItem("Company Documents (no project)", COMPANY_DOCUMENTS)
        for row in sorted(rows, key=lambda r: str(r.get("name", "")).casefold()):
            combo.addItem(str(row.get("name") or f"Project {row['id']}"), int(row["id"]))
        wanted = self._wanted
        index = -1
        if wanted is not None and wanted.company_id == self.company_combo.currentData():
            index = combo.findData(wanted.project_id if wanted.project_id is not None
                                   else COMPANY_DOCUMENTS)
        if index < 0:
            index = 1 if combo.count() > 1 else 0
        combo.setCurrentIndex(index)
        combo.blockSignals(False)
        emit(self.loaded, "projects")
        self._project_chosen()

    def _project_chosen(self, *_: object) -> None:
        self._clear_tree()
        self._generation += 1
        company_id = self.company_combo.currentData()
        project = self.project_combo.currentData()
        if company_id is None or project is None:
            return
        wanted = self._wanted
        keep = (wanted is not None and wanted.company_id == company_id and
                (wanted.project_id if wanted.project_id is not None else COMPANY_DOCUMENTS)
                == project)
        if not keep:
            self._wanted = None
            self._set_destination(None)
        root = self.tree_model.invisibleRootItem()
        if project == COMPANY_DOCUMENTS:
            root.appendRow(self._node("Company Documents", NodeKind.ROOT, None,
                                      "Company Documents", expandable=True))
        else:
            name = self.project_combo.currentText()
            root.appendRow(self._node("Documents", NodeKind.ROOT, None,
                                      f"{name} / Documents", expandable=True))
            root.appendRow(self._node("Photos", NodeKind.PHOTOS, None, f"{name} / Photos",
                                      expandable=True))
        emit(self.loaded, "tree")
        if keep and self._destination is not None:
            self._list_remembered(self._destination)

    def _list_remembered(self, destination: Destination) -> None:
        """List what the remembered destination holds, as if its folder were chosen."""
        photos = destination.kind is DestinationKind.PHOTO_ALBUM
        node_id = destination.album_id if photos else destination.folder_id
        kind = (NodeKind.ALBUM if node_id is not None else NodeKind.PHOTOS) if photos \
            else (NodeKind.FOLDER if node_id is not None else NodeKind.ROOT)
        label = destination.label or str(destination)
        self._remembered_node = self._node(label.rsplit(" / ", 1)[-1], kind, node_id, label,
                                           expandable=False)
        self._show_contents(self._remembered_node)

    # -- the tree -----------------------------------------------------------------------------

    def _node(self, text: str, kind: NodeKind, node_id: int | None, label: str, *,
              expandable: bool) -> QStandardItem:
        node = QStandardItem(text)
        node.setEditable(False)
        node.setData(kind, NodeRole.KIND)
        node.setData(node_id, NodeRole.ID)
        node.setData(False, NodeRole.LOADED)
        node.setData(label, NodeRole.LABEL)
        node.setToolTip(label)
        icon = QStyle.StandardPixmap.SP_DirIcon if kind is not NodeKind.ALBUM \
            else QStyle.StandardPixmap.SP_FileDialogContentsView
        node.setIcon(self.style().standardIcon(icon))
        if expandable:
            waiting = QStandardItem("Loading…")
            waiting.setEditable(False)
            waiting.setSelectable(False)
            waiting.setData(NodeKind.PLACEHOLDER, NodeRole.KIND)
            node.appendRow(waiting)
        return node

    def scope(self) -> Scope | None:
        company_id = self.company_combo.currentData()
        project = self.project_combo.currentData()
        if company_id is None or project is None:
            return None
        return Scope(company_id, None if project == COMPANY_DOCUMENTS else project)

    def _expanded(self, index: QModelIndex) -> None:
        self.load_children(self.tree_model.itemFromIndex(index))

    def load_children(self, node: QStandardItem) -> None:
        """Fetch one level below ``node`` (once)."""
        if node.data(NodeRole.LOADED) or node.data(NodeRole.KIND) in (NodeKind.ALBUM,
                                                                      NodeKind.PLACEHOLDER):
            return
        scope, client = self.scope(), self._client
        if scope is None or client is None:
            return
        node.setData(True, NodeRole.LOADED)
        kind, node_id = node.data(NodeRole.KIND), node.data(NodeRole.ID)
        generation = self._generation
        what = "the photo albums" if kind is NodeKind.PHOTOS else "the folders"

        def fetch() -> Any:
            if kind is NodeKind.PHOTOS:
                return client.albums(scope)
            # With its files: the same answer fills the contents list when it is chosen.
            if kind is NodeKind.ROOT:
                listing = client.root_folder(scope, files=True)
            else:
                listing = client.folder(scope, node_id, files=True)
            listing["listed_files"] = files_of_folder(listing)
            return listing

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                node.setData(False, NodeRole.LOADED)
                if self._current_node() is node:
                    self.contents.show_problem(f"Could not see what is in {node.text()}.")
            self._failed(generation, what, exc)

        self._tasks.submit(fetch, lambda data: self._children_loaded(generation, node, data),
                           failed)

    def _children_loaded(self, generation: int, node: QStandardItem, data: Any) -> None:
        if generation != self._generation:
            return
        node.removeRows(0, node.rowCount())
        label = node.data(NodeRole.LABEL)
        if node.data(NodeRole.KIND) is NodeKind.PHOTOS:
            for album in sorted(data, key=lambda a: str(a.get("name", "")).casefold()):
                name = str(album.get("name") or f"Album {album['id']}")
                node.appendRow(self._node(name, NodeKind.ALBUM, int(album["id"]),
                                          f"{label} / {name}", expandable=False))
        else:
            if node.data(NodeRole.KIND) is NodeKind.ROOT and data.get("id") is not None:
                node.setData(int(data["id"]), NodeRole.ID)
            self._keep_files(node, data.get("listed_files") or [])
            for folder in sorted(data.get("folders") or [],
                                 key=lambda f: str(f.get("name", "")).casefold()):
                child = self._add_folder_node(node, folder)
                if child.data(NodeRole.ID) == self._select_after_load:
                    self._select_after_load = None
                    self.select_node(child)
        emit(self.loaded, label)

    def _add_folder_node(self, parent: QStandardItem, folder: dict[str, Any]) -> QStandardItem:
        name = str(folder.get("name") or "")
        child = self._node(name, NodeKind.FOLDER, int(folder["id"]),
                           f"{parent.data(NodeRole.LABEL)} / {name}",
                           expandable=bool(folder.get("has_children_folders", True)))
        if folder.get("read_only"):
            child.setEnabled(False)
            child.setToolTip(f"{name} is read-only; files cannot be added here.")
        parent.appendRow(child)
        return child

    def node_for_label(self, label: str) -> QStandardItem | None:
        """The loaded node whose path reads ``label`` (tests and restoring a choice)."""
        matches = self.tree_model.match(self.tree_model.index(0, 0), NodeRole.LABEL, label, 1,
                                        Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
        return self.tree_model.itemFromIndex(matches[0]) if matches else None

    def select_node(self, node: QStandardItem) -> None:
        self.tree.setCurrentIndex(node.index())

    def destination_of(self, node: QStandardItem | None) -> Destination | None:
        """Where files given to ``node`` go; None for a node that takes no files (a
        "Loading…" line, a read-only folder)."""
        kind = node.data(NodeRole.KIND) if node is not None else None
        scope = self.scope()
        if node is None or kind is NodeKind.PLACEHOLDER or not node.isEnabled() or scope is None:
            return None
        label, node_id = node.data(NodeRole.LABEL), node.data(NodeRole.ID)
        if kind in (NodeKind.PHOTOS, NodeKind.ALBUM):
            return Destination(DestinationKind.PHOTO_ALBUM, scope.company_id, scope.project_id,
                               album_id=node_id if kind is NodeKind.ALBUM else None,
                               label=label)
        return Destination(
            DestinationKind.PROJECT_FOLDER if scope.is_project
            else DestinationKind.COMPANY_FOLDER, scope.company_id, scope.project_id,
            folder_id=node_id if kind is NodeKind.FOLDER else None, label=label)

    def _node_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        node = self.tree_model.itemFromIndex(current) if current.isValid() else None
        kind = node.data(NodeRole.KIND) if node is not None else None
        self.new_folder_button.setEnabled(kind in (NodeKind.ROOT, NodeKind.FOLDER))
        destination = self.destination_of(node)
        if node is None or destination is None:
            return
        self._wanted = None
        self._set_destination(destination)
        self._show_contents(node)

    # -- drops on the tree --------------------------------------------------------------------

    def _drop_verdict(self, index: QModelIndex, contents: DropContents) -> Verdict:
        """Whether the node under dragged files takes them, in words for the person."""
        node = self.tree_model.itemFromIndex(index) if index.isValid() else None
        if not contents.usable:
            return Verdict(False, " ".join(contents.refused))
        if node is None:
            return Verdict(False, "Hold the files over a folder or photo album to send them "
                                  "there.")
        if node.data(NodeRole.KIND) is not NodeKind.PLACEHOLDER and not node.isEnabled():
            return Verdict(False, f"{node.text()} is read-only; files cannot be added here.")
        destination = self.destination_of(node)
        if destination is None:
            return Verdict(False, "")
        n = len(contents.paths)
        items = f"{n} item{'s' if n != 1 else ''}"
        if destination.kind is DestinationKind.PHOTO_ALBUM:
            return Verdict(True, f"Release to add {items} to {destination} (photos only; "
                                 "other files are left out).")
        return Verdict(True, f"Release to add {items} to {destination}.")

    def _dropped_on(self, paths: list[Path], index: QModelIndex) -> None:
        node = self.tree_model.itemFromIndex(index) if index.isValid() else None
        destination = self.destination_of(node)
        if destination is not None:
            log.info("%d item(s) dropped on %s", len(paths), destination)
            emit(self.dropped, paths, destination)

    def _show_drop_hint(self, text: str) -> None:
        self.drop_hint.setText(text)
        self.drop_hint.setVisible(bool(text))

    # -- what is already there ----------------------------------------------------------------

    def _keep_files(self, node: QStandardItem, rows: list[ListedFile]) -> None:
        node.setData(rows, NodeRole.FILES)
        node.setData(time.monotonic(), NodeRole.FILES_AT)
        if self._current_node() is node:
            self._show_listed(node)

    def _current_node(self) -> QStandardItem | None:
        """The folder chosen in the tree, else the remembered destination's stand-in."""
        current = self.tree.currentIndex()
        return self.tree_model.itemFromIndex(current) if current.isValid() \
            else self._remembered_node

    def _show_listed(self, node: QStandardItem) -> None:
        photos = node.data(NodeRole.KIND) in (NodeKind.PHOTOS, NodeKind.ALBUM)
        self.contents.show_rows(node.text(), node.data(NodeRole.FILES) or [], photos=photos)
        emit(self.contents_loaded, str(node.data(NodeRole.LABEL)))

    def refresh_contents(self) -> None:
        """List the chosen folder's files again (after uploads, or when asked)."""
        node = self._current_node()
        if node is not None:
            node.setData(None, NodeRole.FILES_AT)
            self._show_contents(node)

    def _show_contents(self, node: QStandardItem) -> None:
        """Show what is in ``node``: from the listing the tree already fetched when it is
        fresh, else from one background request."""
        listed_at = node.data(NodeRole.FILES_AT)
        if listed_at is not None and time.monotonic() - listed_at < CONTENTS_FRESH_FOR:
            self._show_listed(node)
            return
        kind = node.data(NodeRole.KIND)
        scope, client = self.scope(), self._client
        if scope is None or client is None:
            return
        self.contents.show_loading(node.text())
        node_id, generation = node.data(NodeRole.ID), self._generation
        fetch: Callable[[], Any]
        if kind is NodeKind.ALBUM:
            def fetch() -> Any:
                return photos_of_album(client.images(scope, node_id))
        elif kind is NodeKind.PHOTOS:
            def fetch() -> Any:
                # The Photos node takes photos into no album: list those.
                return photos_of_album(i for i in client.images(scope, None)
                                       if i.get("image_category_id") is None)
        else:
            def fetch() -> Any:
                listing = (client.root_folder(scope, files=True) if kind is NodeKind.ROOT
                           else client.folder(scope, node_id, files=True))
                listing["listed_files"] = files_of_folder(listing)
                return listing

        def listed(result: Any) -> None:
            if generation != self._generation:
                return
            # Only the files: the tree's folders change only when the person opens one, so
            # a folder made meanwhile ("New folder") or a selection is never disturbed.
            self._keep_files(node, result if not isinstance(result, dict)
                             else result.get("listed_files") or [])

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            log.warning("could not list the files of %s: %s", node.data(NodeRole.LABEL), exc)
            why = explain(str(exc))
            if self._current_node() is node:
                self.contents.show_problem(f"Could not see what is in {node.text()}. "
                                           f"{why.what} {why.next_step}")

        self._tasks.submit(fetch, listed, failed)

    def _set_destination(self, destination: Destination | None) -> None:
        changed = destination != self._destination or (
            destination is not None and self._destination is not None
            and destination.label != self._destination.label)
        self._destination = destination
        self._show_chosen()
        if changed:
            emit(self.destination_changed, destination)

    def _show_chosen(self) -> None:
        if self._destination is None:
            self.chosen_label.setText("No destination chosen yet.")
        else:
            self.chosen_label.setText(f"Files go to: <b>{_escape(str(self._destination))}</b>")

    # -- new folder ---------------------------------------------------------------------------

    def _ask_new_folder(self) -> None:
        name, ok = QInputDialog.getText(self, "New folder", "Name of the new folder:")
        if ok and name.strip():
            self.create_folder(name.strip())

    def create_folder(self, name: str) -> None:
        """Create ``name`` inside the selected folder, then select it."""
        name = procore_name(name)  # the rules every uploaded name follows ("a:b" -> "a-b")
        current = self.tree.currentIndex()
        parent = self.tree_model.itemFromIndex(current) if current.isValid() else None
        scope, client = self.scope(), self._client
        if parent is None or scope is None or client is None or \
                parent.data(NodeRole.KIND) not in (NodeKind.ROOT, NodeKind.FOLDER):
            emit(self.problem, "Choose a Documents folder first; the new folder goes inside it.")
            return
        parent_id = parent.data(NodeRole.ID)
        generation = self._generation

        def created(folder: dict[str, Any]) -> None:
            if generation != self._generation:
                return
            if not parent.data(NodeRole.LOADED):
                # Its children were never fetched: fetching now brings the new one too, and
                # it is chosen when they arrive.
                self._select_after_load = int(folder["id"])
                self.tree.expand(parent.index())
                return
            child = self._add_folder_node(parent, folder)
            self.tree.expand(parent.index())
            self.select_node(child)
            emit(self.loaded, child.data(NodeRole.LABEL))

        self._tasks.submit(lambda: client.create_folder(scope, name, parent_id), created,
                           lambda exc: self._failed(generation, f"the folder “{name}”", exc,
                                                    verb="create"))

    def _failed(self, generation: int, what: str, exc: BaseException, verb: str = "load") -> None:
        if generation != self._generation:
            return
        log.warning("could not %s %s: %s", verb, what, exc)
        why = explain(str(exc))
        text = f"Could not {verb} {what}. {why.what} {why.next_step}"
        self.status_label.setText(text)
        emit(self.problem, text)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

