"""``launcher.py content check``: the reviewer's list for a site's content (``core.content_check``).

Exit 0 when nothing needs attention, 1 when something does (a site can gate going live on it), 2 for a
configuration mistake (as every command)."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path


def cmd_content(args: argparse.Namespace) -> int:
    from core.config import load_config
    from core.content_check import check_site

    config = load_config(args.config)
    site = Path(args.site) if args.site else config.content.demo_site
    if site is None or not Path(site).is_dir():
        print(f"error: no site folder to check ({site or 'content.demo_site is empty'}): give --site FOLDER")
        return 2
    knowledge = Path(args.knowledge) if args.knowledge else config.assistant.knowledge_base
    scene = Path(args.scene) if args.scene else config.hall.scene
    report = check_site(Path(site), knowledge, scene)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        return 1 if report.problems else 0
    for problem in report.problems:
        print(problem)
    for note in report.notes:
        print(f"note: {note}")
    checked = ", ".join(f"{n} {kind}" for kind, n in report.counts.items())
    if report.problems:
        kinds = Counter(p.kind for p in report.problems)
        print(f"\n{len(report.problems)} problems ({', '.join(f'{k} {n}' for k, n in kinds.most_common())}) "
              f"in {checked}")
        return 1
    print(f"no problem: {checked} checked (review, sources, English, zh/en numbers, glossary, site facts)")
    return 0


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "content": (cmd_content, "content check: unreviewed entries, missing sources, zh/en mismatches, glossary, "
                             "site facts written by hand"),
}


def add_arguments(name: str, p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["check"], help="check: list what a reviewer must look at")
    p.add_argument("--site", metavar="FOLDER", help="site folder (default content.demo_site)")
    p.add_argument("--knowledge", metavar="FILE", help="knowledge base (default assistant.knowledge_base)")
    p.add_argument("--scene", metavar="FILE", help="hall scene (default hall.scene)")
    p.add_argument("--json", action="store_true", help="one JSON object: problems, counts, notes")
