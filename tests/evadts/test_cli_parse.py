"""`cvd parse`, run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from tests.evadts.handmade import BODY, seal


def cvd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestration", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_document_has_the_documented_keys(tmp_path: Path) -> None:
    good = tmp_path / "good.dex"
    good.write_bytes(seal(BODY))
    proc = cvd("parse", "--json", str(good))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    (file_doc,) = doc["files"]
    assert file_doc["source"] == str(good) and file_doc["problems"] == []
    (read,) = file_doc["reads"]
    assert read["machine"]["serial"] == "SN12345"
    assert read["read_at"] == "2026-03-10T14:30:15"
    assert (read["currency"]["code"], read["currency"]["decimals"]) == ("USD", 2)
    assert read["integrity"]["crc_present"] is True and read["integrity"]["crc_verified"] is True
    assert read["usable"] is True
    sel = {s["selection"]: s for s in read["selections"]}["10"]
    assert (sel["product_id"], Decimal(sel["price"]), sel["capacity"]) == (
        "P-COLA",
        Decimal("1.25"),
        12,
    )
    assert (sel["paid_vends_total"], Decimal(sel["paid_value_total"])) == (100, Decimal("125"))
    assert (sel["paid_vends_since_reset"], Decimal(sel["paid_value_since_reset"])) == (
        12,
        Decimal("15"),
    )
    assert (sel["sold_out_at"], sel["sold_out_count"]) == ("2026-03-09T08:15:00", 3)


def test_crc_null_when_no_g85(tmp_path: Path) -> None:
    f = tmp_path / "nog85.dex"
    f.write_bytes(b"DXS*A*VA*V1/1*1\nST*001*0001\nID1*X\nSE*3*0001\nDXE*1*1\n")
    proc = cvd("parse", "--json", str(f))
    assert proc.returncode == 0
    read = json.loads(proc.stdout)["files"][0]["reads"][0]
    assert read["integrity"]["crc_verified"] is None and read["usable"] is True


def test_exit_codes(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.dex", tmp_path / "bad.dex"
    good.write_bytes(seal(BODY))
    bad.write_bytes(seal(BODY).replace(b"VA1*12345", b"VA1*12346"))
    summary = cvd("parse", str(good))
    assert summary.returncode == 0 and "SN12345" in summary.stdout
    damaged = cvd("parse", str(good), str(bad))
    assert damaged.returncode == 1
    assert "crc" in damaged.stdout.lower() and "line" in damaged.stdout
    missing = cvd("parse", str(tmp_path / "nope.dex"))
    assert missing.returncode == 2 and "nope.dex" in missing.stderr
    assert cvd("parse").returncode == 2  # usage


def test_summary_names_file_line_and_field_of_a_problem(tmp_path: Path) -> None:
    f = tmp_path / "field.dex"
    f.write_bytes(seal(["ST*001*0001", "ID1*N1", "PA1*1*100", "PA2*12x*1200"]))
    out = cvd("parse", str(f)).stdout
    assert str(f) in out and "line 5 PA201" in out and "12x" in out


def test_summary_prints_what_a_file_supplies_as_text(tmp_path: Path) -> None:
    # rich markup in a serial, a product id and a long path: printed literally, never styled,
    # never a crash ("[/bold]" without an opening tag made rich raise MarkupError)
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    f = deep / "markup.dex"
    f.write_bytes(seal(["ST*001*0001", "ID1*[/bold]SN[red]1", "PA1*[b]10*100", "PA2*1*100"]))
    proc = cvd("parse", str(f))
    assert proc.returncode in (0, 1), proc.stderr
    assert "[/bold]SN[red]1" in proc.stdout and "[b]10" in proc.stdout
    assert str(f) in proc.stdout.replace("\n", "")
