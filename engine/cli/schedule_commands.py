"""``rearguard schedule install|remove|status``: runs by the OS scheduler, logged in or not."""

from __future__ import annotations

import argparse

from engine.cli.output import print_json
from engine.core import errors
from engine.core.folders import Folders
from engine.core.profiles import list_profiles, resolve_profile


def schedule_command(folders: Folders, args: argparse.Namespace) -> int:
    """``rearguard schedule install|remove|status``: runs by the OS scheduler, logged in or not."""
    from engine.schedule import os_scheduler

    folders = os_scheduler.folders_for_invoking_user(folders)
    if args.action == "status":
        found = os_scheduler.status(folders)
        if args.json:
            print_json({"schedules": [s.as_json() for s in found]})
            return errors.EXIT_OK
        if not found:
            print("no profile is registered with the OS scheduler ('rearguard schedule install PROFILE')")
        for item in found:
            reg = item.registration
            print(f"{reg.profile:24} {os_scheduler.backend_label(reg.backend):15} next: {item.next_run}")
            for note in item.notes:
                print(f"  note: {note}")
        return errors.EXIT_OK
    if bool(args.profile) == bool(args.all):
        raise errors.UsageError(f"schedule {args.action}: give one PROFILE or --all")
    if args.action == "remove":
        names = sorted(os_scheduler.load_registrations(folders)) if args.all else [args.profile]
        if not names:
            print("no profile is registered with the OS scheduler")
        for reg in os_scheduler.remove(folders, names):
            print(f"{reg.profile}: removed {reg.name}")
        return errors.EXIT_OK
    if args.all:
        profiles = [e.profile for e in list_profiles(folders) if e.profile and e.profile.spec.schedule]
    else:
        profiles = [resolve_profile(folders, args.profile)]
    if args.platform and not args.print_only:
        raise errors.UsageError("--platform works with --print only (a task registers on its own OS)")
    if args.print_only:
        from engine.schedule.preview import preview

        print(
            preview(
                profiles, platform=args.platform, system=args.system, wake=args.wake, password=args.password
            )
        )
        return errors.EXIT_OK
    password = None
    if args.password:
        import getpass

        password = getpass.getpass("Windows password of the account the runs use: ")
    backend = os_scheduler.default_backend(system=args.system, password=password)
    for reg in os_scheduler.install(folders, profiles, backend, wake=args.wake):
        print(f"{reg.profile}: runs via {os_scheduler.backend_label(reg.backend)} ({reg.name})")
        for note in reg.notes:
            print(f"  note: {note}")
    return errors.EXIT_OK
