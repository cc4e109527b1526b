#!/usr/bin/env python3
"""Drafts the per-server tables of docs/compat.md from the expected lists in tests/compat/expected/.

Prints one markdown table per server and dialect: one row per step or check that did not pass cleanly,
its findings (identical ones counted), and a cause guessed from the finding's kind and message. A guess
is only a draft: read each row against the report in target/compat/reports/ before pasting it, and write
a new cause section in docs/compat.md for every `??`.

Usage: python3 tests/compat/draft_rows.py > /tmp/rows.md
"""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
CELLS = {
    "scim2-server-legacy": "scim2-server, legacy",
    "scim2-server-compliant": "scim2-server, compliant (`?aadOptscim062020`)",
    "scimmy-legacy": "scimmy, legacy",
    "scimmy-compliant": "scimmy, compliant (`?aadOptscim062020`)",
}

# (kind or None for any, pattern in the message's first line, cause), first match wins.
RULES = [
    (None, r"validation error for EnterpriseUser|Complex attribute 'manager'", "E-MANAGER"),
    (None, r"POST /Users.*'active' expected value type 'boolean'", "D-POST-ACTIVE-STRING"),
    (None, r"'active' expected value type 'boolean'", "E-ACTIVE-STRING"),
    (None, r"non-canonical value from complex attribute 'roles'", "E-ROLE-TYPE"),
    (None, r"noTarget|phone_numbers|does not match any values", "E-TYPED-ELEMENT"),
    (None, r"PATCH /Groups.*a remove operation carries no value", "E-LEGACY-REMOVE-MEMBERS"),
    (None, r"PATCH /Users.*a remove operation carries no value", "D-CLEAR-WITH-REMOVE"),
    (None, r"Invalid path 'description'|'description' is not an attribute", "F-DESCRIPTION"),
    ("notsteady", r"^`roles` of .* endpoint returned \[.*\"\{", "E-ROLE-JSON-TEXT"),
    ("notsteady", r"", "C-NOT-STEADY"),
    (None, r"ADSCIM", "D-ADSCIM"),
    ("duplicate_status", r"", "V-DUPLICATE-GROUP"),
    ("match_failed", r"found nothing", "E-CASE-FILTER"),
    ("page_size", r"", "V-PAGE-SIZE"),
    ("patch_returns_members", r"", "W-PATCH-MEMBERS"),
    ("quarantine", r"", "X-EXPECTED"),
    ("DuplicateSourceEntries", r"", "X-EXPECTED"),
    ("DuplicateTargetEntries", r"", "X-EXPECTED"),
    ("EntryConflict", r"", "X-EXPECTED"),
    ("membershipdrift", r"", "X-EXPECTED"),
]

# Findings that report an expectation of the scenario rather than a request: counted apart, and
# guessed C-FOLLOWS when the step or an earlier one of the suite had a real finding. `expectation` is a
# step that could not run at all (e.g. a `target_edit` of an object that was never created).
EXPECTATIONS = {"expectation_failed", "expectation"}

SUITE = re.compile(r"^== (.*): (\w+(?: \w+)?)$")
CASE = re.compile(r"^  (\S.*): (\w+)$")
FINDING = re.compile(r"^    (\w+) (\S+) \| (.*?) \| (.*)$")


def cause(kind, message):
    for rule_kind, pattern, name in RULES:
        if (rule_kind is None or rule_kind == kind) and re.search(pattern, message):
            return name
    return "??"


def cases(text):
    """(suite, case, outcome, [(kind, request, message)]) for every case listed in an expected list."""
    out, suite = [], None
    for line in text.splitlines():
        if m := SUITE.match(line):
            suite = m.group(1)
        elif m := CASE.match(line):
            out.append((suite, m.group(1), m.group(2), []))
        elif m := FINDING.match(line):
            out[-1][3].append((m.group(2), m.group(3), m.group(4)))
    return out


def rows(text):
    failed_before = set()
    for suite, case, outcome, findings in cases(text):
        real = [f for f in findings if f[0] not in EXPECTATIONS]
        expectations = [f[0] for f in findings if f[0] in EXPECTATIONS]
        counted, causes = {}, []
        for kind, request, message in real:
            key = (kind, request)
            counted[key] = counted.get(key, 0) + 1
            causes.append(cause(kind, message))
        parts = [f"{f'{n} × ' if n > 1 else ''}`{k}` `{r}`" for (k, r), n in counted.items()]
        for kind in dict.fromkeys(expectations):
            parts.append(f"{expectations.count(kind)} × `{kind}`")
            causes.append("C-FOLLOWS" if real or suite in failed_before else "??")
        if not parts:
            parts.append(f"({outcome}, no finding of its own)")
            causes.append("C-FOLLOWS" if outcome == "skipped" else "??")
        if real:
            failed_before.add(suite)
        unique = list(dict.fromkeys(causes))
        yield f"| {suite} | {case} | {'; '.join(parts)} | {', '.join(unique)} |"


def main():
    for cell, title in CELLS.items():
        text = (ROOT / "tests/compat/expected" / f"{cell}.snap").read_text()
        print(f"\n### {title}\n")
        print(f"Expected list: [`tests/compat/expected/{cell}.snap`](../tests/compat/expected/{cell}.snap).\n")
        print("| suite | step / check | findings | cause |\n|---|---|---|---|")
        for row in rows(text):
            print(row)


if __name__ == "__main__":
    main()
