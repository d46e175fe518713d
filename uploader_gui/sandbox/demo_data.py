"""Realistic demo records: a construction company, its projects, folders, an album, two users."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sandbox import Sandbox

COMPANY_NAME = "Demo Construction Co."
PROJECT_NAMES = ("Main Street Tower", "Riverside Medical Center", "Oak Hill Elementary School")
#: Folders of the first project, parents before children.
FOLDERS = ("Drawings", "Drawings/Architectural", "Drawings/Structural", "Specifications",
           "Photos", "Submittals")
ALBUM_NAME = "Site Progress"


@dataclass(frozen=True)
class DemoInfo:
    company_id: int
    company_name: str
    project_ids: list[int]
    user_id: int
    other_user_id: int
    album_id: int
    #: Folders of the first project by path ("Drawings/Architectural" -> id).
    folder_ids: dict[str, int] = field(default_factory=dict)
    #: Company-level Documents folders by path.
    company_folder_ids: dict[str, int] = field(default_factory=dict)


def seed_demo(sandbox: Sandbox) -> DemoInfo:
    """Add the demo company and everything in it; the first user becomes the demo user."""
    company_id = sandbox.add_company(COMPANY_NAME)
    project_ids = [sandbox.add_project(company_id, name) for name in PROJECT_NAMES]
    user_id = sandbox.add_user("Dana Rivera", "dana.rivera@example.com", [company_id])
    other_user_id = sandbox.add_user("Sam Okafor", "sam.okafor@example.com", [company_id])
    folder_ids: dict[str, int] = {}
    for path in FOLDERS:
        parent, _, name = path.rpartition("/")
        folder_ids[path] = sandbox.add_folder(folder_ids[parent] if parent else None, name,
                                              project_id=project_ids[0])
    for project_id in project_ids[1:]:
        sandbox.add_folder(None, "Drawings", project_id=project_id)
    company_folder_ids = {name: sandbox.add_folder(None, name, company_id=company_id)
                          for name in ("Safety Manuals", "Templates")}
    album_id = sandbox.add_album(project_ids[0], ALBUM_NAME)
    for project_id in project_ids[1:]:
        sandbox.add_album(project_id, ALBUM_NAME)
    with sandbox.state.lock:
        if sandbox.state.demo_user_id is None:
            sandbox.state.demo_user_id = user_id
    return DemoInfo(company_id, COMPANY_NAME, project_ids, user_id, other_user_id, album_id,
                    folder_ids, company_folder_ids)
