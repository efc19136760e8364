"""Everything ``rearguard check`` finds wrong with a profile beyond its file's own validation, in one
place: the window's Settings form calls the same function as you type.

- its target against every other saved profile's (two profiles never write into one folder);
- its own target against its own source where both are local folders (an rclone remote that is a
  path, a Revit target and the server's Projects folder), which a run would refuse.

Each problem starts with the key it is about (``[mirror].replica: …``), so the form can put it
beside that field.
"""

from __future__ import annotations

from engine.core.folders import Folders
from engine.core.profiles import Profile, RcloneProfile, RevitProfile, expand
from engine.core.target_overlap import clashes, target_of, target_problems
from engine.files.pathsafety import overlap_problem


def profile_problems(profile: Profile, folders: Folders, others: list[Profile] | None = None) -> list[str]:
    """Whole-profile problems (empty when there are none). ``others``: the saved profiles to compare
    with (default: the profiles folder, less this profile's own file)."""
    found = target_problems(profile, folders) if others is None else clashes(profile, others)
    return [_at_key(clash) for clash in found] + own_target_problems(profile)


def own_target_problems(profile: Profile) -> list[str]:
    """A local target inside the profile's own source, or the other way round."""
    spec, target = profile.spec, target_of(profile)
    if isinstance(spec, RcloneProfile) and target.folder is not None:
        problem = overlap_problem(expand(spec.rclone.source), target.folder, "remote")
        return [f"[rclone].remote: {problem}"] if problem else []
    if isinstance(spec, RevitProfile) and target.folder is not None:
        problem = overlap_problem(expand(spec.revit.projects_dir), target.folder, "target")
        if problem:
            return [f"[revit].target: {problem.replace('source', 'the Projects folder (projects_dir)')}"]
    return []


def _at_key(clash: str) -> str:
    """``[mirror].replica X is inside …`` as ``[mirror].replica: X is inside …``."""
    key, _space, rest = clash.partition(" ")
    return f"{key}: {rest}"
