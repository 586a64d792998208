"""Every file of the real corpus ingested together: usable reads land, the rest is quarantined
with reasons, and the run succeeds. Expected counts come from the hand-read corpus facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.evadts.corpus_facts import FACTS
from tests.orchestration.pipeline import CORPUS, cvd, query

if not CORPUS.is_dir():
    pytest.skip(
        f"DEX corpus not found at {CORPUS} (a plain clone has none)", allow_module_level=True
    )


def test_whole_corpus_lands_or_is_quarantined(tmp_path: Path) -> None:
    assert cvd("ingest", str(CORPUS), "--home", str(tmp_path)) == 0
    assert cvd("materialize", "--home", str(tmp_path)) == 0
    assert not any((tmp_path / "inbox").iterdir())  # everything was taken in

    files = dict(query(tmp_path, "SELECT original_name, status FROM dex_files"))
    assert len(files) == len(list(CORPUS.iterdir()))  # every file, PROVENANCE.md too
    assert files["PROVENANCE.md"] == "quarantined"  # text, but no DEX in it

    usable_by_file = dict(
        query(
            tmp_path,
            """
        SELECT f.original_name, f.usable_reads FROM dex_files f""",
        )
    )
    for name, fact in FACTS.items():
        expected = sum(1 for r in fact if r.usable)
        if files[name] == "duplicate":
            continue  # same bytes as another file of the corpus: parsed once, there
        assert usable_by_file[name] == expected, name
        quarantined = [r for r in fact if not r.usable]
        record = tmp_path / "quarantine"
        if quarantined:
            docs = [json.loads(p.read_text()) for p in record.glob("*.json")]
            mine = [d for d in docs if d["original_name"] == name]
            assert mine and all(r["reason"] for r in mine[0]["reasons"]), name
    # the two byte-identical pairs of the corpus (PROVENANCE.md) count once each
    for stem in ("Pc5461c_20191203155644", "Pc54601_20191230140739"):
        pair = [
            files[f"thiopcb__evadts-csv-export___N_W_BlueRed_{stem}{tail}.daa"]
            for tail in ("", "(1)")
        ]
        assert sorted(pair) == ["duplicate", "loaded"], stem
    # machines never seen before were registered as unassigned devices
    serials = {r[0] for r in query(tmp_path, "SELECT dex_serial FROM devices")}
    assert "TW20185083" in serials and "301021333" in serials
