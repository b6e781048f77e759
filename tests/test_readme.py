"""The README is a user's manual: its launcher.py table must list what the parser accepts."""

from __future__ import annotations

import sys

from tests.conftest import ROOT


def test_the_readme_command_table_lists_every_command_and_option():
    """README's launcher.py table is what a new user reads: every subcommand and every option the parser
    accepts must be in it (#19)."""
    import argparse

    sys.path.insert(0, str(ROOT))
    from launcher import build_parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## launcher.py"):readme.index("\n## ", readme.index("## launcher.py") + 5)]
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, parser in sub.choices.items():
        if f"`{name}" not in table:
            missing.append(name)
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help" and option not in table:
                    missing.append(f"{name} {option}")
            if action.choices and not action.option_strings:
                missing += [f"{name} {c}" for c in action.choices if c not in table]
    assert not missing, f"not in README's command table: {missing}"

