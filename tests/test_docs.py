"""The reference docs: every `docs/algorithms.md section N` / `docs/benchmarks.md section N` citation in the
sources, presets, README and tests names a section those files have, no citation lacks the docs/ path, and
each file's contents list links to its own headings."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("algorithms", "benchmarks")
HEADING = re.compile(r"^## (\d+)\. ", re.MULTILINE)
# "docs/algorithms.md section 9", "docs/benchmarks.md sections 3-4", "sections 10, 11, 17 and 18"; a
# citation may wrap onto a comment's next line
CITATION = re.compile(r"docs/(algorithms|benchmarks)\.md[\s#]+sections?\s+(\d+(?:\s*(?:,|-|and|to)\s*\d+)*)")
BARE = re.compile(r"(?<!docs/)\b(?:algorithms|benchmarks)\.md")


def numbered_sections(doc: str) -> set[int]:
    """The N of every '## N. Title' heading of docs/<doc>.md."""
    return {int(n) for n in HEADING.findall((ROOT / "docs" / f"{doc}.md").read_text())}


def cited_sections(numbers: str) -> list[int]:
    """'3-4' -> [3, 4]; '10, 11, 17 and 18' -> [10, 11, 17, 18]."""
    out: list[int] = []
    for part in re.split(r"\s*(?:,|and)\s*", numbers):
        ends = [int(n) for n in re.split(r"\s*(?:-|to)\s*", part)]
        out.extend(range(ends[0], ends[-1] + 1))
    return out


def missing_citations(text: str, sections: dict[str, set[int]]) -> list[str]:
    """Each citation in text whose section number is not a heading of its file, as 'doc.md section N'."""
    return [f"{doc}.md section {n}" for doc, numbers in CITATION.findall(text)
            for n in cited_sections(numbers) if n not in sections[doc]]


def citing_files() -> list[Path]:
    """Source, presets, README, tests and examples: every file a user reads a citation in."""
    files = [ROOT / "README.md"]
    for folder in ("src/gankit", "tests", "examples"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".yaml", ".md")]
    return [p for p in files if p.resolve() != Path(__file__).resolve()]


@pytest.fixture(scope="module")
def sections() -> dict[str, set[int]]:
    return {doc: numbered_sections(doc) for doc in DOCS}


def test_both_docs_exist_with_numbered_sections(sections):
    assert {0, 1, 4, 9, 10, 11, 12, 18}.issubset(sections["algorithms"])  # numbers the sources have cited for long
    assert set(range(1, 10)).issubset(sections["benchmarks"])


def test_every_citation_names_an_existing_section(sections):
    cited, missing = 0, []
    for path in citing_files():
        text = path.read_text()
        cited += len(CITATION.findall(text))
        missing += [f"{path.relative_to(ROOT)}: {m}" for m in missing_citations(text, sections)]
    assert cited >= 60  # the sources do cite the docs (a broken pattern would find none and pass)
    assert missing == []


def test_no_citation_without_the_docs_path():
    bare = [f"{p.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}" for p in citing_files()
            for text in [p.read_text()] for m in BARE.finditer(text)]
    assert bare == []


def test_the_check_fails_on_a_missing_section_and_a_bare_name(sections):
    text = "see docs/algorithms.md section 99 and docs/benchmarks.md sections 3-4, not algorithms.md section 9"
    assert missing_citations(text, sections) == ["algorithms.md section 99"]
    assert missing_citations("docs/benchmarks.md\n# section 98", sections) == ["benchmarks.md section 98"]
    assert BARE.findall(text) == ["algorithms.md"]
    assert cited_sections("10, 11, 17 and 18") == [10, 11, 17, 18] and cited_sections("3-4") == [3, 4]


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation other than '-' and '_' dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("doc", DOCS)
def test_the_contents_list_links_to_the_headings(doc):
    text = (ROOT / "docs" / f"{doc}.md").read_text()
    anchors = {github_anchor(h) for h in re.findall(r"^## (.+)$", text, re.MULTILINE)}
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert len(links) >= len(HEADING.findall(text))
    assert [link for link in links if link not in anchors] == []
