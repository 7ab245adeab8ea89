"""Files that are not workbooks, broken workbooks and hostile workbooks.

Each must give one clear line naming the file and the reason, exit status 2, and never a
traceback; hostile content (XML entity expansion, zip bombs, absurd declared dimensions)
must be refused or handled cheaply.
"""

from __future__ import annotations

import json
import re
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from workbooks import minimal_sheets, write_workbook

from stockopt.commands.cli import main
from stockopt.workbook import file as workbook_file
from stockopt.workbook.file import UnreadableWorkbook
from stockopt.workbook.normalize import load

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
OLE2_HEADER = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504

BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
              for i in range(1, 10))
    + "]>\n"
)


def refused(path: Path, *reason: str) -> str:
    """Run ``stockopt validate``; check for one clean error line naming the file; return it."""
    result = CliRunner().invoke(main, ["validate", str(path)])
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: ") and str(path) in line
    for fragment in reason:
        assert fragment in line, line
    json_result = CliRunner().invoke(main, ["validate", "--json", str(path)])
    assert json_result.exit_code == 2
    data = json.loads(json_result.stdout)
    assert data["errors"] == 1 and str(path) in data["problems"][0]["message"]
    return line


def valid_workbook(tmp_path: Path, name: str = "input.xlsx") -> Path:
    return write_workbook(tmp_path / name, minimal_sheets())


def rewrite(path: Path, changes: dict[str, Callable[[bytes], bytes]],
            extra: dict[str, bytes] | None = None) -> Path:
    """Copy the workbook at ``path`` to a new file with members changed or added."""
    out = path.with_name("patched-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in changes:
                data = changes[info.filename](data)
            dst.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return out


def first_sheet_member(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))[0]


# --- not a workbook at all ----------------------------------------------------------


@pytest.mark.parametrize(("content", "reason"), [
    (b"period,party\n2027,US\n", "not an .xlsx workbook"),
    (PNG_HEADER, "not an .xlsx workbook"),
    (b"", "empty"),
    (b"PK", "not an .xlsx workbook"),
    (b"PK\x05\x06" + b"\x00" * 18, "empty ZIP archive"),
])
def test_not_an_xlsx(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "input.xlsx"
    path.write_bytes(content)
    refused(path, reason)


def test_truncated_workbook(tmp_path: Path) -> None:
    good = valid_workbook(tmp_path)
    data = good.read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    refused(path, "truncated or damaged")


def test_damaged_member(tmp_path: Path) -> None:
    """A workbook whose sheet data is corrupted (CRC mismatch) inside an intact archive."""
    good = valid_workbook(tmp_path)
    member = first_sheet_member(good)
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        offset = zf.getinfo(member).header_offset
    data[offset + 30 + len(member) + 40] ^= 0x55  # flip bits inside the stored sheet XML
    path.write_bytes(bytes(data))
    refused(path, "cannot be read")


def test_encrypted_workbook(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(OLE2_HEADER)
    refused(path, "encrypted")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("notes.txt", "hello")
    refused(path, "not an .xlsx workbook")


def test_word_document_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("word/document.xml", "<document/>")
    refused(path, "not an .xlsx workbook")


def test_malformed_sheet_xml(tmp_path: Path) -> None:
    good = valid_workbook(tmp_path)
    member = first_sheet_member(good)
    path = rewrite(good, {member: lambda d: d[: len(d) // 2]})
    refused(path, "sheet 'Periods' cannot be read: invalid XML")


def test_malformed_workbook_xml(tmp_path: Path) -> None:
    path = rewrite(valid_workbook(tmp_path), {"xl/workbook.xml": lambda d: d[:-20]})
    refused(path, "cannot be read as an .xlsx workbook", "invalid XML")


def test_nonexistent_path(tmp_path: Path) -> None:
    refused(tmp_path / "nowhere.xlsx", "no such file")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.xlsx"
    folder.mkdir()
    refused(folder, "not a file")


def test_unreadable_file(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    path = valid_workbook(tmp_path)
    path.chmod(0)
    try:
        refused(path, "cannot be opened")
    finally:
        path.chmod(0o600)


# --- hostile content -----------------------------------------------------------


def _with_dtd(data: bytes) -> bytes:
    text = data.decode()
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2:]
    return (BILLION_LAUGHS + text.replace("<t>ga</t>", "<t>&lol9;</t>")).encode()


@pytest.mark.parametrize("member", ["sheet", "xl/workbook.xml", "xl/styles.xml"])
def test_xml_entity_attack_is_refused(tmp_path: Path, member: str) -> None:
    good = valid_workbook(tmp_path)
    member = first_sheet_member(good) if member == "sheet" else member
    path = rewrite(good, {member: _with_dtd})
    start = time.perf_counter()
    refused(path, "XML entity attack")
    assert time.perf_counter() - start < 5


def test_xml_entity_attack_in_shared_strings(tmp_path: Path) -> None:
    good = valid_workbook(tmp_path)
    strings = (BILLION_LAUGHS + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
               '2006/main" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>').encode()

    def add_override(data: bytes) -> bytes:
        override = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        return data.replace(b"</Types>", override.encode() + b"</Types>")

    path = rewrite(good, {"[Content_Types].xml": add_override},
                   extra={"xl/sharedStrings.xml": strings})
    refused(path, "XML entity attack")


def test_defusedxml_is_in_use() -> None:
    import openpyxl

    assert openpyxl.DEFUSEDXML, "openpyxl must parse through defusedxml"


def test_zip_bomb_total_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook_file, "MAX_UNCOMPRESSED_BYTES", 2 * 1024**2)
    path = rewrite(valid_workbook(tmp_path), {}, extra={"xl/media/zeros.bin": bytes(3 * 1024**2)})
    refused(path, "too large when inflated", "zip bomb")


def test_zip_bomb_ratio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook_file, "MIN_RATIO_CHECK_BYTES", 1024**2)
    path = rewrite(valid_workbook(tmp_path), {}, extra={"xl/media/zeros.bin": bytes(3 * 1024**2)})
    refused(path, "zip bomb", "xl/media/zeros.bin", "ratio")


def _set_declared_size(path: Path, member: str, size: int) -> None:
    """Rewrite the uncompressed size that the archive declares for ``member``."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    name = member.encode()
    local = info.header_offset
    struct.pack_into("<I", data, local + 22, size)
    central = data.index(b"PK\x01\x02")
    while True:
        central = data.index(b"PK\x01\x02", central)
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46: central + 46 + name_len]) == name:
            struct.pack_into("<I", data, central + 24, size)
            break
        central += 4
    path.write_bytes(bytes(data))


def test_file_too_large_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook_file, "MAX_FILE_BYTES", 1024)
    refused(valid_workbook(tmp_path), "more than the", "limit")


def test_zip_bomb_declared_size_without_monkeypatching(tmp_path: Path) -> None:
    """A member that declares it inflates to 4 GB is refused before anything is inflated."""
    path = valid_workbook(tmp_path)
    _set_declared_size(path, first_sheet_member(path), 0xFFFFFFF0)
    refused(path, "zip bomb")


def test_member_inflating_beyond_its_declared_size(tmp_path: Path) -> None:
    """Declared sizes cannot be undercut: inflation stops there and the CRC check fails."""
    good = valid_workbook(tmp_path)
    member = first_sheet_member(good)
    path = rewrite(good, {member: lambda d: d.replace(b"</sheetData>", b"</sheetData>"
                                                      + b" " * 2_000_000)})
    _set_declared_size(path, member, 3000)
    refused(path, "cannot be read")


def test_absurd_declared_dimension_reads_only_real_rows(tmp_path: Path) -> None:
    good = valid_workbook(tmp_path)

    def absurd(data: bytes) -> bytes:
        import re

        return re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', data)

    with zipfile.ZipFile(good) as zf:
        members = [n for n in zf.namelist() if n.startswith("xl/worksheets/")]
    path = rewrite(good, {m: absurd for m in members})
    with zipfile.ZipFile(path) as zf:
        assert b"XFD1048576" in zf.read(members[0])
    start = time.perf_counter()
    loaded = load(path)
    elapsed = time.perf_counter() - start
    assert not loaded.problems.has_errors, [p.message for p in loaded.problems.items]
    assert loaded.raw is not None
    assert [r.row for r in loaded.raw["Periods"].records] == [2, 3]
    assert loaded.data is not None and loaded.data.periods == ["2027", "2028"]
    assert elapsed < 3


def test_far_away_row_is_read_without_walking_the_gap(tmp_path: Path) -> None:
    """A real row at 1,048,576: the rows in between are not materialised."""
    good = valid_workbook(tmp_path)
    member = first_sheet_member(good)  # Periods
    far = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>2029</t></is></c></row>'
    path = rewrite(good, {member: lambda d: d.replace(b"</sheetData>", far + b"</sheetData>")})
    start = time.perf_counter()
    loaded = load(path)
    assert time.perf_counter() - start < 3
    assert loaded.raw is not None
    assert [r.row for r in loaded.raw["Periods"].records] == [2, 3, 1048576]


def test_cell_beyond_last_column(tmp_path: Path) -> None:
    good = valid_workbook(tmp_path)
    member = first_sheet_member(good)
    bad = b'<row r="5"><c r="XFE5" t="inlineStr"><is><t>x</t></is></c></row>'
    path = rewrite(good, {member: lambda d: d.replace(b"</sheetData>", bad + b"</sheetData>")})
    refused(path, "beyond Excel's last column")


def test_open_workbook_raises_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(PNG_HEADER)
    with pytest.raises(UnreadableWorkbook, match="not an .xlsx"):
        load(path)


def test_input_is_never_modified(tmp_path: Path) -> None:
    path = valid_workbook(tmp_path)
    before = path.read_bytes(), path.stat().st_mtime_ns
    assert load(path).data is not None
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.xlsx"]


# --- per-part and total limits, measured (issue 15) ------------------------------------------

_SHARED_STRINGS_TYPE = ("application/vnd.openxmlformats-officedocument.spreadsheetml."
                        "sharedStrings+xml")


def padded_styles(tmp_path: Path, mib: float) -> Path:
    """A valid workbook whose styles part is padded with ``mib`` MiB of cell formats (it
    compresses ~300x: a few dozen KB on disk)."""
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    n = int(mib * 1024**2 / len(xf))

    def pad(data: bytes) -> bytes:
        data = re.sub(rb'<cellXfs count="(\d+)"', lambda m: b'<cellXfs count="%d"'
                      % (int(m.group(1)) + n), data, count=1)
        return data.replace(b"</cellXfs>", xf * n + b"</cellXfs>", 1)

    return rewrite(valid_workbook(tmp_path, "styles.xlsx"), {"xl/styles.xml": pad})


def declared_shared_strings(tmp_path: Path, size: int) -> Path:
    """A workbook with a shared-strings part (named in the content types) declaring ``size``
    bytes uncompressed: the hostile 300 MiB of shared strings, built in milliseconds."""
    types = {"[Content_Types].xml": lambda d: d.replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
        + _SHARED_STRINGS_TYPE.encode() + b'"/></Types>')}
    body = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    path = rewrite(valid_workbook(tmp_path, "strings.xlsx"), types,
                   extra={"xl/sharedStrings.xml": body})
    _set_declared_size(path, "xl/sharedStrings.xml", size)
    return path


def test_padded_styles_part_is_refused(tmp_path: Path) -> None:
    """21.6 MB of padded styles used to validate after 26 s and 3.5 GB; now any styles part
    over 8 MiB is refused from the zip directory."""
    line = refused(padded_styles(tmp_path, 9), "styles part xl/styles.xml", "inflate to 9",
                   "more than the 8 MiB limit for a styles part")
    assert "zip bomb" in line


def test_styles_part_under_the_limit_is_read(tmp_path: Path) -> None:
    load(padded_styles(tmp_path, 0.5))  # no refusal


def test_huge_shared_strings_part_is_refused(tmp_path: Path) -> None:
    """300 MiB of shared strings used to take 78 s and 1.9 GB."""
    refused(declared_shared_strings(tmp_path, 300 * 1024**2),
            "shared-strings part xl/sharedStrings.xml", "inflate to 300 MiB",
            "more than the 32 MiB limit")


def test_any_other_part_is_limited(tmp_path: Path) -> None:
    path = rewrite(valid_workbook(tmp_path), {}, extra={"xl/media/pad.bin": b"x" * 1000})
    _set_declared_size(path, "xl/media/pad.bin", 9 * 1024**2)
    refused(path, "part xl/media/pad.bin", "more than the 8 MiB limit for a part")


def test_worksheet_named_as_shared_strings_gets_the_smaller_limit(tmp_path: Path) -> None:
    """Roles come from the package's own content types and relationships: calling the shared
    strings part a worksheet does not buy it the worksheet limit."""
    path = valid_workbook(tmp_path)
    sheet = first_sheet_member(path)
    types = {"[Content_Types].xml": lambda d: d.replace(
        b"</Types>", b'<Override PartName="/' + sheet.encode() + b'" ContentType="'
        + _SHARED_STRINGS_TYPE.encode() + b'"/></Types>')}
    patched = rewrite(path, types)
    _set_declared_size(patched, sheet, 40 * 1024**2)
    refused(patched, f"shared-strings part {sheet}", "32 MiB limit")


def test_total_inflated_size_is_limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Worksheets each under their 256 MiB limit but 600 MiB together (the 1.7 MB zip that
    inflated to 955 MB): refused by the 512 MiB total (ratio check off to reach it)."""
    monkeypatch.setattr(workbook_file, "MIN_RATIO_CHECK_BYTES", 2**40)
    path = valid_workbook(tmp_path)
    with zipfile.ZipFile(path) as zf:
        sheets = sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))[:3]
    for sheet in sheets:
        _set_declared_size(path, sheet, 200 * 1024**2)
    refused(path, "the workbook would inflate to 600 MiB", "more than the 512 MiB limit")


def test_too_many_parts(tmp_path: Path) -> None:
    path = rewrite(valid_workbook(tmp_path), {},
                   extra={f"xl/media/p{i}.bin": b"" for i in range(10_001)})
    refused(path, "parts, more than the 10,000 limit")


@pytest.mark.parametrize("token", ["NaN", "INF", "-INF", "Infinity", "abc"])
def test_hand_written_non_number_names_the_cell(tmp_path: Path, token: str) -> None:
    path = valid_workbook(tmp_path)

    def poke(data: bytes) -> bytes:
        return data.replace(b"<v>1</v>", b"<v>" + token.encode() + b"</v>", 1)

    patched = rewrite(path, {"xl/worksheets/sheet3.xml": poke})  # Minerals: price 1 in B2
    refused(patched, "sheet 'Minerals'", f"cell B2 holds '{token}'", "written by hand")


_MEASURE = """
import json, resource, sys, time
from stockopt.workbook.file import UnreadableWorkbook
from stockopt.workbook.normalize import load
out = {}
for path in sys.argv[1:]:
    t = time.perf_counter()
    try:
        load(path)
        refused = False
    except UnreadableWorkbook:
        refused = True
    out[path] = [refused, time.perf_counter() - t]
# this process's own peak: VmHWM (getrusage's ru_maxrss survives exec on Linux, so in a child
# of a large pytest process it reports the parent's size); getrusage where there is no /proc
try:
    status = open("/proc/self/status").read()
    out["peak_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError):
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def test_refusals_are_fast_and_small(tmp_path: Path) -> None:
    """Each hostile file is refused in well under 2 s, the whole process staying under
    300 MB (measured in a fresh interpreter: its VmHWM, or resource.getrusage)."""
    import subprocess
    import sys

    files = [padded_styles(tmp_path, 30), declared_shared_strings(tmp_path, 300 * 1024**2)]
    bomb = valid_workbook(tmp_path, "bomb.xlsx")
    _set_declared_size(bomb, first_sheet_member(bomb), 0xFFFFFFF0)
    files.append(bomb)
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *map(str, files)],
                          capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    for path in files:
        was_refused, seconds = result[str(path)]
        assert was_refused and seconds < 2.0, (path, seconds)
    assert result["peak_mb"] < 300, result
