"""Import of master-data CSVs (hand-written fixtures in the shape of docs/master-data.md)."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from operations import csv_rows, db
from operations.importer import import_master_data
from operations.permissions import SYSTEM
from operations.services import devices, masterdata, planograms
from simulator import OutputPaths, SimConfig, simulate

FILES = {
    "products.csv": """product_id,name,category,price,cost,size
P001,Cola 0.5l,Drinks,1.80,0.55,M
P002,Café Crème,Drinks,2.20,0.70,S
P003,Snickers,Snacks,1.20,0.40,S
""",
    "locations.csv": """location_id,name,address,latitude,longitude,traffic
L01,Hauptbahnhof Zürich,"Bahnhofplatz 1, 8001 Zürich",47.378,8.540,high
L02,Office Park,Main St 5,47.0,8.0,low
""",
    "routes.csv": """route_id,name,driver
R1,North,dave
R2,South,
""",
    "devices.csv": "asset_number,dex_serial,model,device_type,location_id,route_id,telemetry,"
    """service_days
A100,SN100,Crane 187,snack,L01,R1,true,1010100
A200,SN200,Royal 650,cold drink,L02,R2,false,0100100
""",
    "cabinets.csv": """asset_number,cabinet_index,cabinet_type,rows,columns
A100,1,Ambient 5x8,5,8
A100,2,Cooler 5x8,5,8
A200,1,Cooler 5x8,5,8
""",
    "planograms.csv": "asset_number,cabinet_index,slot,selection,product_id,capacity,par_level,"
    """price
A100,1,A1,11,P003,10,8,1.20
A100,1,A2,12,P003,10,8,1.20
A100,2,A1,21,P001,8,6,1.80
A200,1,A1,11,P001,8,6,1.80
A200,1,A2,12,P002,8,4,2.20
""",
}
# Row counts per file, read off FILES above.
ROWS = {name: text.count("\n") - 1 for name, text in FILES.items()}


@pytest.fixture
def engine(migrated: Engine) -> Engine:
    """A migrated, empty database: every import test runs on SQLite and on PostgreSQL."""
    return migrated


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_import_creates_everything_then_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    source = _write(tmp_path / "md", FILES)
    first = import_master_data(engine, source)
    assert first.rejected == []
    assert {f: dict(c) for f, c in first.counts().items()} == {
        f: {"created": n} for f, n in ROWS.items()
    }

    tables = masterdata.export_tables(engine)
    assert sorted(p["product_id"] for p in tables["products"]) == ["P001", "P002", "P003"]
    assert {p["product_id"]: p["price_cents"] for p in tables["products"]}["P002"] == 220
    assert {r["route_id"]: r["driver"] for r in tables["routes"]} == {"R1": "dave", "R2": None}
    zurich = next(loc for loc in tables["locations"] if loc["location_id"] == "L01")
    assert (zurich["name"], zurich["address"], zurich["latitude"]) == (
        "Hauptbahnhof Zürich",
        "Bahnhofplatz 1, 8001 Zürich",
        47.378,
    )
    assert len(tables["cabinets"]) == 3
    assert len(tables["planogram_slots"]) == 5

    second = import_master_data(engine, source)
    assert second.total("created") == second.total("updated") == second.total("rejected") == 0
    assert second.total("unchanged") == sum(ROWS.values())


def test_changed_rows_update_in_place_and_planograms_get_a_version(
    engine: Engine, tmp_path: Path
) -> None:
    import_master_data(engine, _write(tmp_path / "v1", FILES))
    changed = dict(FILES)
    changed["products.csv"] = FILES["products.csv"].replace(
        "Snickers,Snacks,1.20", "Snickers,Snacks,1.30"
    )
    changed["planograms.csv"] = FILES["planograms.csv"].replace(
        "A200,1,A2,12,P002,8,4,2.20", "A200,1,A2,12,P002,8,5,2.20"
    )
    report = import_master_data(engine, _write(tmp_path / "v2", changed))
    counts = report.counts()
    assert counts["products.csv"]["updated"] == 1
    assert counts["products.csv"]["unchanged"] == 2
    # A200 cabinet 1 has a new version; only the row whose values changed counts as updated
    assert counts["planograms.csv"]["updated"] == 1
    assert counts["planograms.csv"]["unchanged"] == 4
    with db.transaction(engine) as session:
        cabinet = devices.get_cabinet(session, "A200", 1)
    history = planograms.planogram_history(engine, SYSTEM, cabinet.id)
    assert [v.version for v in history] == [1, 2]
    assert [s.par_level for s in planograms.get_active_planogram(engine, SYSTEM, cabinet.id)] == [
        6,
        5,
    ]


def test_bad_rows_are_rejected_with_file_line_and_reason(engine: Engine, tmp_path: Path) -> None:
    bad = dict(FILES)
    bad["products.csv"] = FILES["products.csv"] + (
        "P004,'; DROP TABLE products; --,Snacks,1.00,0.10,S\n"  # line 5
        "P005,Water,Drinks,free,0.10,S\n"  # line 6
        "P006,Tea,Drinks,1.00\n"  # line 7: too few fields
        "P007,Juice,Drinks,1.50,0.60,M\n"  # line 8: fine
    )
    bad["devices.csv"] = (
        FILES["devices.csv"] + "A300,SN300,Crane,snack,L99,R1,true,1010100\n"
    )  # line 4
    bad["planograms.csv"] = FILES["planograms.csv"] + (
        "A100,1,A3,13,P404,10,8,1.20\n"  # line 7: unknown product
        "A100,1,A4,14,P003,5,6,1.20\n"  # line 8: par above capacity
        "A300,1,A1,11,P001,8,6,1.80\n"  # line 9: device rejected above, so no cabinet
    )
    report = import_master_data(engine, _write(tmp_path / "bad", bad))
    rejected = {(r.file, r.line): r.reason for r in report.rejected}
    assert set(rejected) == {
        ("products.csv", 5),
        ("products.csv", 6),
        ("products.csv", 7),
        ("devices.csv", 4),
        ("planograms.csv", 7),
        ("planograms.csv", 8),
        ("planograms.csv", 9),
    }
    assert rejected["products.csv", 5].startswith("name=")
    assert rejected["products.csv", 6].startswith("price=")
    assert "too few fields" in rejected["products.csv", 7]
    assert "location 'L99' not found" in rejected["devices.csv", 4]
    assert "P404" in rejected["planograms.csv", 7]
    assert "par_level" in rejected["planograms.csv", 8]
    assert "A300" in rejected["planograms.csv", 9]
    # every good row still arrived, including the one after the bad ones
    products = {p["product_id"] for p in masterdata.export_tables(engine)["products"]}
    assert products == {"P001", "P002", "P003", "P007"}
    # A100 cabinet 1 has rejected rows, so its good rows (lines 2, 3) are held back whole
    assert [(r.line, r.outcome) for r in report.not_applied] == [
        (2, "not_applied"),
        (3, "not_applied"),
    ]
    assert "cabinet A100/1 has rejected rows (lines 7, 8)" in report.not_applied[0].reason
    assert report.total("created") == sum(ROWS.values()) + 1 - 2


def test_missing_and_unreadable_files_are_reported_not_fatal(
    engine: Engine, tmp_path: Path
) -> None:
    source = _write(tmp_path / "partial", {"products.csv": FILES["products.csv"]})
    (source / "routes.csv").write_bytes(b"route_id,name,driver\nR1,Nord\xe9,dave\n")
    (source / "locations.csv").write_text("location_id,name\nL01,Station\n", encoding="utf-8")
    report = import_master_data(engine, source)
    reasons = {r.file: r.reason for r in report.rejected}
    assert report.total("created") == 3
    assert "not UTF-8" in reasons["routes.csv"]
    assert "address" in reasons["locations.csv"]
    assert reasons["devices.csv"] == "file not found"


def test_import_adopts_a_device_first_seen_in_dex_data(engine: Engine, tmp_path: Path) -> None:
    seen = datetime(2026, 11, 1, tzinfo=UTC)
    unknown = devices.register_unknown_device(engine, "SN200", seen_at=seen)
    report = import_master_data(engine, _write(tmp_path / "md", FILES))
    assert report.rejected == []
    exported = {d["asset_number"]: d for d in masterdata.export_tables(engine)["devices"]}
    assert exported["A200"]["device_id"] == unknown.id
    assert exported["A200"]["first_seen_at"] == seen
    assert len(exported) == 2


# --- the simulator's own master data (simulator, as `cvd demo-data` writes it) ---


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The master-data folder of a small simulated fleet (3 machines, 5 cabinets)."""
    home = tmp_path_factory.mktemp("sim")
    paths = OutputPaths(home / "inbox", home / "master-data", home / "truth")
    simulate(SimConfig(machines=3, days=1), paths)
    return paths.master_data


def _csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _copy_with(source: Path, target: Path, planograms: list[dict[str, str]]) -> Path:
    shutil.copytree(source, target)
    header, _ = _csv(source / "planograms.csv")
    with (target / "planograms.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(planograms)
    return target


def _active(engine: Engine, asset: str, index: int) -> tuple[int, list[planograms.SlotRow]]:
    with db.transaction(engine) as session:
        cabinet = devices.get_cabinet(session, asset, index)
    history = planograms.planogram_history(engine, SYSTEM, cabinet.id)
    active = next(v.version for v in history if v.is_active)
    return active, planograms.get_active_planogram(engine, SYSTEM, cabinet.id)


def test_simulator_master_data_imports_row_for_row(engine: Engine, simulated: Path) -> None:
    rows = {path.name: len(_csv(path)[1]) for path in sorted(simulated.glob("*.csv"))}
    # the demo's cash collections travel beside the master data; `cvd import collections` reads
    # them, `cvd import master-data` leaves the file alone
    assert set(rows) == {*ROWS, "collections.csv"}
    del rows["collections.csv"]
    first = import_master_data(engine, simulated)
    assert first.rejected == []
    assert {f: dict(c) for f, c in first.counts().items()} == {
        f: {"created": n} for f, n in rows.items()
    }
    tables = masterdata.export_tables(engine)
    for file, table in (
        ("products.csv", "products"),
        ("locations.csv", "locations"),
        ("routes.csv", "routes"),
        ("devices.csv", "devices"),
        ("cabinets.csv", "cabinets"),
        ("planograms.csv", "planogram_slots"),
    ):
        assert len(tables[table]) == rows[file], table
    second = import_master_data(engine, simulated)
    assert second.total("unchanged") == sum(rows.values())
    assert len(second.rows) == sum(rows.values())


def test_one_bad_planogram_row_keeps_its_cabinet_whole(
    engine: Engine, simulated: Path, tmp_path: Path
) -> None:
    import_master_data(engine, simulated)
    _, original = _csv(simulated / "planograms.csv")
    cabinet = (original[0]["asset_number"], int(original[0]["cabinet_index"]))
    in_cabinet = [r for r in original if (r["asset_number"], int(r["cabinet_index"])) == cabinet]
    other = original[-1]  # a row of another cabinet
    assert (other["asset_number"], int(other["cabinet_index"])) != cabinet
    version, slots_before = _active(engine, *cabinet)
    assert (version, len(slots_before)) == (1, len(in_cabinet))

    edited = [dict(r) for r in original]
    edited[0]["par_level"] = str(int(edited[0]["capacity"]) + 1)  # line 2: bad
    edited[1]["price"] = "9.99"  # line 3: a real change, same cabinet
    edited[-1]["price"] = "8.88"  # the last line: a real change in another cabinet
    report = import_master_data(engine, _copy_with(simulated, tmp_path / "bad", edited))

    planogram_rows = [r for r in report.rows if r.file == "planograms.csv"]
    assert len(planogram_rows) == len(original)
    assert [(r.line, r.outcome) for r in report.rejected] == [(2, "rejected")]
    assert report.rejected[0].reason.startswith("par_level=")
    held = [r for r in planogram_rows if r.outcome == "not_applied"]
    assert [r.line for r in held] == list(range(3, len(in_cabinet) + 2))
    assert all(f"cabinet {cabinet[0]}/{cabinet[1]} has rejected rows" in r.reason for r in held)
    assert report.counts()["planograms.csv"]["updated"] == 1  # only the other cabinet's price
    assert report.total("updated") == 1
    # the cabinet with the bad row keeps its planogram, A1 included, unchanged
    assert _active(engine, *cabinet) == (1, slots_before)
    other_version, other_slots = _active(engine, other["asset_number"], int(other["cabinet_index"]))
    assert other_version == 2
    assert {s.slot: s.price_cents for s in other_slots}[other["slot"]] == 888

    # the bad row fixed: the cabinet gets version 2 with line 3's price, one row updated
    edited[0] = dict(original[0])
    report = import_master_data(engine, _copy_with(simulated, tmp_path / "fixed", edited))
    assert report.rejected == []
    assert report.total("updated") == 1
    version, slots_after = _active(engine, *cabinet)
    assert (version, len(slots_after)) == (2, len(in_cabinet))
    assert {s.slot: s.price_cents for s in slots_after}[original[1]["slot"]] == 999


def test_a_malformed_row_holds_back_its_cabinet(engine: Engine, tmp_path: Path) -> None:
    bad = dict(FILES)
    bad["planograms.csv"] = FILES["planograms.csv"] + "A200,1,A3,13,P001\n"  # line 7
    report = import_master_data(engine, _write(tmp_path / "bad", bad))
    outcomes = {r.line: r.outcome for r in report.rows if r.file == "planograms.csv"}
    assert outcomes == {
        2: "created",
        3: "created",
        4: "created",
        5: "not_applied",
        6: "not_applied",
        7: "rejected",
    }
    with db.transaction(engine) as session:
        cabinet = devices.get_cabinet(session, "A200", 1)
    assert planograms.get_active_planogram(engine, SYSTEM, cabinet.id) == []


def test_a_200_kb_field_is_one_rejected_row_and_the_file_goes_on(
    engine: Engine, tmp_path: Path
) -> None:
    huge = "x" * 200_000  # over csv's default field limit (131,072), which stopped the reader
    files = dict(FILES)
    files["products.csv"] = FILES["products.csv"] + (
        f"P004,{huge},Snacks,1.00,0.10,S\n"  # line 5
        "P005,Juice,Drinks,1.50,0.60,M\n"  # line 6: fine, after the bad one
    )
    report = import_master_data(engine, _write(tmp_path / "huge", files))
    [rejected] = report.rejected
    assert (rejected.file, rejected.line, rejected.key, rejected.field) == (
        "products.csv",
        5,
        "P004",
        "name",
    )
    assert "200,000 characters" in rejected.reason
    products = {p["product_id"] for p in masterdata.export_tables(engine)["products"]}
    assert products == {"P001", "P002", "P003", "P005"}
    assert report.total("created") == sum(ROWS.values()) + 1  # every other file loaded too


def test_a_key_repeated_in_one_file_keeps_the_first_row_and_rejects_the_others(
    engine: Engine, tmp_path: Path
) -> None:
    files = dict(FILES)
    files["products.csv"] = FILES["products.csv"] + (
        "P001,Cola 1l,Drinks,2.50,0.80,L\n"  # line 5: P001 again (line 2 has it)
        "P001,Cola 2l,Drinks,3.50,0.90,L\n"  # line 6: and again
    )
    files["cabinets.csv"] = FILES["cabinets.csv"] + "A100,1,Cooler 5x8,5,8\n"  # line 5
    report = import_master_data(engine, _write(tmp_path / "twice", files))
    rejected = [(r.file, r.line, r.key, r.field, r.reason) for r in report.rejected]
    first_wins = "duplicate key: line {} has it (the first row wins)"
    assert rejected == [
        ("products.csv", 5, "P001", "product_id", first_wins.format(2)),
        ("products.csv", 6, "P001", "product_id", first_wins.format(2)),
        ("cabinets.csv", 5, "A100/1", "asset_number/cabinet_index", first_wins.format(2)),
    ]
    cola = next(
        p for p in masterdata.export_tables(engine)["products"] if p["product_id"] == "P001"
    )
    assert (cola["name"], cola["price_cents"]) == ("Cola 0.5l", 180)


def test_malformed_and_invalid_rows_name_line_field_and_key(engine: Engine, tmp_path: Path) -> None:
    files = dict(FILES)
    files["products.csv"] = FILES["products.csv"] + (
        "P004,Tea,Drinks,1.00,0.40,S,surplus\n"  # line 5: one field too many
        "P005,Tea,Drinks\n"  # line 6: too few
        "P006,Water,Drinks,free,0.10,S\n"  # line 7: bad price
    )
    files["devices.csv"] = FILES["devices.csv"] + "A300,SN300,Crane,snack,L99,R1,true,1010100\n"
    report = import_master_data(engine, _write(tmp_path / "malformed", files))
    found = {(r.file, r.line): (r.key, r.field) for r in report.rejected}
    assert found == {
        ("products.csv", 5): ("P004", ""),
        ("products.csv", 6): ("P005", "price"),
        ("products.csv", 7): ("P006", "price"),
        ("devices.csv", 4): ("A300", "location_id"),
    }


def test_a_file_over_the_size_cap_is_refused_whole_with_a_clear_error(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_rows, "MAX_FILE_BYTES", 150)  # instead of writing 32 MB
    files = dict(FILES)
    files["products.csv"] = FILES["products.csv"] + "".join(
        f"P{n:03d},Water,Drinks,1.00,0.10,S\n" for n in range(10, 20)
    )
    size = len(files["products.csv"].encode())
    report = import_master_data(engine, _write(tmp_path / "big", files))
    refused = [r for r in report.rejected if r.file == "products.csv"]
    assert [(r.line, r.key) for r in refused] == [(0, "")]
    assert refused[0].reason == (
        f"{size:,} bytes, over the 150-byte limit of one master-data file: split it"
    )
    assert masterdata.export_tables(engine)["products"] == []  # nothing of it was written
