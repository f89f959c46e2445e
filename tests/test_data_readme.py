"""data/README.md agrees with the package manifest, the registry and the files themselves."""
from __future__ import annotations

import re
from pathlib import Path

from mlbook.data import files, registry

DATA = Path(__file__).resolve().parents[1] / "data"
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*(\w+)\s*\|\s*([\d,]+)\s*\|\s*`([0-9a-f]{64})`\s*\|\s*([^|]+?)\s*\|\s*$")


def _table() -> dict[str, dict]:
    text = (DATA / "README.md").read_text(encoding="utf-8")
    section = text.split("## Files", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = ROW.match(line)
        if m:
            name, dataset, size, digest, licence = m.groups()
            assert name not in rows, f"{name} listed twice in data/README.md"
            rows[name] = {"dataset": dataset, "size": int(size.replace(",", "")), "sha256": digest,
                          "licence": licence}
    return rows


def test_readme_table_matches_manifest():
    table, manifest = _table(), registry.manifest()
    assert set(table) == set(manifest), f"README lists {sorted(table)}, manifest has {sorted(manifest)}"
    for name, row in table.items():
        assert row["sha256"] == manifest[name]["sha256"], f"{name}: README {row['sha256']} != manifest"
        assert row["size"] == manifest[name]["size"], f"{name}: README {row['size']} != manifest"
        assert row["size"] == (DATA / name).stat().st_size, name


def test_readme_table_matches_registry():
    for name, row in _table().items():
        d = registry.get(row["dataset"])
        assert name in d.files, (name, d.files)
        assert row["licence"] == d.licence, (name, row["licence"], d.licence)


def test_readme_total_and_sections():
    text = (DATA / "README.md").read_text(encoding="utf-8")
    total = sum(r["size"] for r in _table().values())
    assert f"{total:,} bytes" in text, f"README should state the total, {total:,} bytes"
    for d in registry.DATASETS.values():
        assert f"### `{d.name}`" in text, d.name
        section = text.split(f"### `{d.name}`", 1)[1].split("\n### ", 1)[0]
        assert d.cite in section and d.licence in section, d.name
        for word in ("Source.", "Licence.", "How it was made."):
            assert word in section, (d.name, word)


def test_citations_exist_in_references_bib():
    bib = (DATA.parent / "references.bib").read_text(encoding="utf-8")
    for d in registry.DATASETS.values():
        assert re.search(r"@\w+\{" + re.escape(d.cite) + ",", bib), d.cite


def test_data_dir_under_48_mib():
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < 48 * 2**20, f"data/ holds {total / 2**20:.1f} MiB; the book guide's limit is 48 MiB"
    assert files.checkout_data_dir() == DATA
