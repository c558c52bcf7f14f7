"""docs/lecture.md cites `file:line` for every lecture equation; keep those lines true.

Each reference reads [`src/deltaprop/FILE.py:LINE`](../src/deltaprop/FILE.py#LLINE): `CODE`
and passes when line LINE of FILE contains CODE. When lines move, run

    python tests/test_lecture_doc.py          # list the stale references and their new lines
    python tests/test_lecture_doc.py --fix    # rewrite docs/lecture.md with the new line numbers
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "lecture.md"
REFERENCE = re.compile(r"\[`(src/deltaprop/[\w/]+\.py):(\d+)`\]\(\.\./([\w/.]+)#L(\d+)\): `([^`]+)`")


def references(text: str) -> list[re.Match]:
    return list(REFERENCE.finditer(text))


def lines_containing(path: str, code: str) -> list[int]:
    """1-based numbers of the lines of ``path`` that contain ``code``."""
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    return [n for n, line in enumerate(lines, 1) if code in line]


def stale(text: str) -> list[tuple[re.Match, list[int]]]:
    """The references whose line does not contain their code, with where the code is now."""
    out = []
    for m in references(text):
        path, line, link_path, link_line, code = m.group(1), int(m.group(2)), m.group(3), int(m.group(4)), m.group(5)
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
        ok = link_path == path and link_line == line and 1 <= line <= len(lines) and code in lines[line - 1]
        if not ok:
            out.append((m, lines_containing(path, code)))
    return out


def test_the_doc_cites_the_lecture_equations():
    text = DOC.read_text(encoding="utf-8")
    refs = references(text)
    assert len(refs) >= 20, f"expected the doc to cite at least 20 lines; found {len(refs)}"
    cited = {m.group(5) for m in refs}
    # The core equations must each be cited.
    for code in ("z = fp.a[l - 1] @ W.T + b", "a = sigma.forward(z)", "back = delta[l] @ self.weights[l]",
                 "g = (delta[l - 1].T @ fp.a[l - 1]) * scale", "return self.output_activation.vjp(zL, y, grad_y)",
                 "param -= param.dtype.type(eta) * grad"):
        assert code in cited, f"docs/lecture.md no longer cites {code!r}"


def test_every_cited_line_contains_its_code():
    problems = []
    for m, now in stale(DOC.read_text(encoding="utf-8")):
        where = f"now at line(s) {now}" if now else "no longer found anywhere in the file"
        problems.append(f"{m.group(1)}:{m.group(2)} should contain {m.group(5)!r}; {where}")
    assert not problems, (
        "docs/lecture.md cites lines that moved; run `python tests/test_lecture_doc.py --fix`:\n  "
        + "\n  ".join(problems)
    )


def test_the_checker_catches_a_wrong_line():
    # Guard the guard: a reference to the wrong line is reported with the right one.
    m = next(m for m in references(DOC.read_text(encoding="utf-8")) if m.group(5) == "a = sigma.forward(z)")
    right = int(m.group(2))
    wrong = m.group(0).replace(f":{right}`", f":{right + 1}`").replace(f"#L{right})", f"#L{right + 1})")
    found = stale(wrong)
    assert len(found) == 1 and found[0][1] == [right]


def fix() -> int:
    """Rewrite docs/lecture.md so that each reference points at the (single) line holding its code."""
    text = DOC.read_text(encoding="utf-8")
    unresolved = 0
    for m, now in stale(text):
        if len(now) != 1:
            print(f"cannot fix {m.group(1)}:{m.group(2)} {m.group(5)!r}: found at lines {now}", file=sys.stderr)
            unresolved += 1
            continue
        path, code, n = m.group(1), m.group(5), now[0]
        text = text.replace(m.group(0), f"[`{path}:{n}`](../{path}#L{n}): `{code}`")
        print(f"{path}: {code!r} -> line {n}")
    tmp = DOC.with_name(DOC.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, DOC)  # atomic: the doc is never half-written
    return 1 if unresolved else 0


if __name__ == "__main__":
    if "--fix" in sys.argv[1:]:
        sys.exit(fix())
    for m, now in stale(DOC.read_text(encoding="utf-8")):
        print(f"{m.group(1)}:{m.group(2)} {m.group(5)!r} is now at {now}")
