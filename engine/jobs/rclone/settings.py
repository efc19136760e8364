"""The rclone section of the profile, as the job's modules need it (paths expanded, config checked)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.core.context import RunContext
from engine.core.errors import ProfileError
from engine.core.profiles import Profile, RcloneProfile, expand


@dataclass(frozen=True)
class Job:
    """One profile's rclone settings, ready to use."""

    source: Path
    remote: str
    config: str  # "" = rclone's own
    rclone: str  # "" = the bundled one
    exclude: tuple[str, ...]
    include_hidden: bool
    transfers: int
    max_delete_percent: float
    delete_excluded: bool = False  # what a filter now leaves out: removed from the remote, or kept
    versions: bool = True  # the profile format has no switch yet; deletes always keep a version
    bwlimit: str = ""  # rclone's own --bwlimit, checked when the profile was read


def job_of(ctx: RunContext) -> Job:
    """The rclone settings of the context's profile; raises ProfileError for a missing config file."""
    return job_from(ctx.profile)


def job_from(profile: Profile) -> Job:
    """The rclone settings of ``profile``; raises ProfileError for a missing config file."""
    spec = profile.spec
    if not isinstance(spec, RcloneProfile):
        raise ProfileError(profile.name, [f"kind: expected 'rclone', got {spec.kind!r}"])
    s = spec.rclone
    config = ""
    if s.config.strip():
        config = str(expand(s.config))
        if not Path(config).is_file():
            where = str(profile.path or profile.name)
            raise ProfileError(where, [f"[rclone].config: file not found: {config}"])
    return Job(
        source=expand(s.source),
        remote=s.remote.strip(),
        config=config,
        rclone=s.rclone.strip(),
        exclude=tuple(s.exclude),
        include_hidden=s.include_hidden,
        transfers=s.transfers,
        max_delete_percent=s.max_delete_percent,
        delete_excluded=s.delete_excluded,
        bwlimit=s.bwlimit,
    )
