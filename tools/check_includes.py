#!/usr/bin/env python3
"""Fails when an #include crosses folders along an arrow docs/architecture.md does not allow.

The allowed arrows are the table under "## Allowed arrows" in docs/architecture.md: one row per
folder, the folders it may include from. Every source file under a listed folder is read; an
include of "a/b.h" names the folder that holds a/b.h (the longest listed folder that is a prefix,
so "http/api/app.h" is in http/api). Including from one's own folder is always allowed; a folder
that is not listed (tests/, bench/) may include anything, and nothing may include from them.

Usage: tools/check_includes.py [SOURCE_DIR]   (default: the repository this script is in)
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
doc = (root / "docs/architecture.md").read_text(encoding="utf-8")

section = re.search(r"^## Allowed arrows\n(.*?)(?=^## )", doc, re.S | re.M)
if not section:
    sys.exit("check_includes: docs/architecture.md has no '## Allowed arrows' section")
allowed = {}
for line in section.group(1).splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) != 2 or not cells[0].startswith("`"):
        continue
    folder = cells[0].strip("`").rstrip("/")
    allowed[folder] = {m.rstrip("/") for m in re.findall(r"`([^`]+)`", cells[1])}
if not allowed:
    sys.exit("check_includes: no arrows found in docs/architecture.md")

unknown = {t for targets in allowed.values() for t in targets} - set(allowed)
if unknown:
    sys.exit("check_includes: docs/architecture.md allows arrows to unlisted folders: " + ", ".join(sorted(unknown)))

folders = sorted(allowed, key=len, reverse=True)
test_folders = ("tests", "bench")


def folder_of(path: str):
    for f in folders:
        if path == f or path.startswith(f + "/"):
            return f
    return None


include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
problems = []
checked = 0
for path in sorted(root.rglob("*")):
    if path.suffix not in {".h", ".cpp", ".in"} or not path.is_file():
        continue
    rel = path.relative_to(root).as_posix()
    if rel.startswith("build") or "/CMakeFiles/" in rel:
        continue
    source = folder_of(rel)
    top = rel.split("/", 1)[0]
    if source is None and top not in test_folders:
        continue
    checked += 1
    for target_path in include.findall(path.read_text(encoding="utf-8", errors="replace")):
        target_top = target_path.split("/", 1)[0]
        if target_top in test_folders and top not in test_folders:
            problems.append(f"{rel}: includes {target_path}, which is test code")
            continue
        target = folder_of(target_path)
        if source is None or target is None or target == source:
            continue
        if target not in allowed[source]:
            problems.append(f"{rel}: includes {target_path}: {source}/ may not include from {target}/ "
                            "(docs/architecture.md, \"Allowed arrows\")")

for p in problems:
    print("check_includes:", p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"check_includes: {checked} files, every include along an allowed arrow")
