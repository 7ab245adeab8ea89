"""Opening an input .xlsx safely and streaming its rows.

The file is opened read-only; it is checked before any XML is parsed: the leading
bytes must be a ZIP archive (an OLE2 file is a legacy .xls or an encrypted workbook),
the archive must be complete, hold at most ``MAX_PARTS`` parts, and the uncompressed size
each part declares in the zip directory must stay under its limit (``MAX_SHEET_BYTES`` for a
worksheet, ``MAX_SHARED_STRINGS_BYTES``, ``MAX_STYLES_BYTES``, ``MAX_PART_BYTES`` for every
other part; the roles are read from the workbook's own relationships, not guessed from
names), and all of them together under ``MAX_UNCOMPRESSED_BYTES``: a zip bomb or a padded
part is refused in milliseconds, before anything is inflated, and the sizes cannot be
undercut (inflating stops at the declared size and the CRC check fails). XML is
parsed through defusedxml (openpyxl uses it when it is installed), so entity-expansion
attacks are refused. Rows are streamed as they stand in the sheet XML: the sheet's
declared dimensions are never trusted.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

from .problems import quoted, shorten

MAX_FILE_BYTES = 200 * 1024**2
"""Largest .xlsx file accepted (bytes on disk): 200 MiB."""

MAX_UNCOMPRESSED_BYTES = 512 * 1024**2
"""Largest total declared uncompressed size of the archive's members: 512 MiB."""

MAX_SHEET_BYTES = 256 * 1024**2
"""Largest worksheet part (uncompressed): 256 MiB. Worksheets are streamed; 20,000 scenarios
sampled by ``stockopt scenarios`` from the bundled risk register take 53 MiB."""

MAX_SHARED_STRINGS_BYTES = 32 * 1024**2
"""Largest shared-strings part (uncompressed): 32 MiB (read whole: ~0.4 s and ~3 MB of memory
per MiB; a real workbook's unique texts take well under 5 MiB)."""

MAX_STYLES_BYTES = 8 * 1024**2
"""Largest styles part (uncompressed): 8 MiB (read whole: ~0.9 s and ~12 MB of memory per
MiB; Excel's own limit of 64,000 cell formats takes about 4 MiB)."""

MAX_PART_BYTES = 8 * 1024**2
"""Largest other part (workbook, relationships, theme, document properties, media): 8 MiB."""

MAX_PARTS = 10_000
"""Most parts in the archive (a workbook has a few dozen)."""

MAX_COMPRESSION_RATIO = 1000
"""Largest ratio of a member's uncompressed to compressed size (XML compresses ~10-100x)."""

MIN_RATIO_CHECK_BYTES = 10 * 1024**2
"""Members smaller than this (uncompressed) are not held to ``MAX_COMPRESSION_RATIO``."""

MAX_COLUMNS = 16384
"""Excel's own column limit; a cell beyond it is malformed."""

_ZIP_MAGIC = (b"PK\x03\x04",)
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UnreadableWorkbook(Exception):
    """The file cannot be read as an .xlsx workbook; the message says why."""


class _BadCell(Exception):
    """A cell of the sheet XML that cannot be converted (e.g. a number written as NaN)."""

    def __init__(self, where: str, text: str) -> None:
        super().__init__(where, text)
        self.where, self.text = where, text


class MissingCachedValue:
    """Stands for a formula cell that has no cached value (never calculated)."""

    def __repr__(self) -> str:
        return "a formula with no cached value"


MISSING_CACHED_VALUE = MissingCachedValue()


@dataclass(frozen=True)
class CellError:
    """A cell holding an Excel error value such as #N/A or #DIV/0!."""

    code: str

    def __str__(self) -> str:
        return f"the error value {self.code}"


class _Parser(WorkSheetParser):
    """openpyxl's sheet parser, marking formulas that have no cached value."""

    def parse_cell(self, element):  # noqa: ANN001, ANN201 - openpyxl's signature
        try:
            cell = super().parse_cell(element)
        except (ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
            where = element.get("r") or f"column {self.col_counter} of row {self.row_counter}"
            text = element.findtext(VALUE_TAG)
            raise _BadCell(where, str(exc) if text is None else text) from exc
        if cell["value"] is None and element.find(FORMULA_TAG) is not None:
            cached = element.find(VALUE_TAG)
            if element.get("t") == "str" and cached is not None:
                pass  # a formula whose cached result is the empty string: a blank cell
            elif cached is None or not (cached.text or ""):
                cell["value"] = MISSING_CACHED_VALUE
        elif cell["data_type"] == "e":
            cell["value"] = CellError(str(cell["value"]))
        return cell


def check_container(path: Path) -> None:
    """Check that ``path`` is a complete, sane .xlsx archive, before any XML is parsed.

    Raises UnreadableWorkbook with the reason otherwise.
    """
    if not path.exists():
        raise UnreadableWorkbook(f"{path}: no such file")
    if not path.is_file():
        raise UnreadableWorkbook(f"{path}: not a file")
    size = path.stat().st_size
    if size == 0:
        raise UnreadableWorkbook(f"{path}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise UnreadableWorkbook(
            f"{path}: too large: the file is {_mib(size)} MiB, more than the "
            f"{_mib(MAX_FILE_BYTES)} MiB limit")
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise UnreadableWorkbook(f"{path}: cannot be opened ({exc.strerror or exc})") from exc
    if head.startswith(_OLE2_MAGIC):
        raise UnreadableWorkbook(
            f"{path}: this is an encrypted (password-protected) workbook or a legacy .xls "
            "file; save it from Excel as an unprotected .xlsx workbook")
    if head.startswith(_EMPTY_ZIP_MAGIC):
        raise UnreadableWorkbook(f"{path}: an empty ZIP archive, not an .xlsx workbook")
    if not head.startswith(_ZIP_MAGIC):
        raise UnreadableWorkbook(
            f"{path}: not an .xlsx workbook (it does not start like one: found bytes "
            f"{head[:4]!r}); save the file from Excel as .xlsx")
    parts = _declared_parts(path)
    if parts is not None and parts > MAX_PARTS:
        raise UnreadableWorkbook(
            f"{path}: refused: the archive declares {parts:,} parts, more than the "
            f"{MAX_PARTS:,} limit (a workbook has a few dozen)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            limits = _part_limits(zf) if len(infos) <= MAX_PARTS else {}
    except zipfile.BadZipFile as exc:
        raise UnreadableWorkbook(
            f"{path}: the file is truncated or damaged ({exc}); save it again from Excel") from exc
    except OSError as exc:
        raise UnreadableWorkbook(f"{path}: cannot be read ({exc})") from exc
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise UnreadableWorkbook(f"{path}: a ZIP archive, but not an .xlsx workbook "
                                 "(no workbook inside; is it another kind of document?)")
    if len(infos) > MAX_PARTS:
        raise UnreadableWorkbook(
            f"{path}: refused: the archive holds {len(infos):,} parts, more than the "
            f"{MAX_PARTS:,} limit (a workbook has a few dozen)")
    total = 0
    for info in infos:
        total += info.file_size
        role, limit = limits.get(info.filename, ("part", MAX_PART_BYTES))
        if info.file_size > limit:
            raise UnreadableWorkbook(
                f"{path}: refused, too large when inflated: {role} {info.filename} would "
                f"inflate to {_mib(info.file_size)} MiB, more than the {_mib(limit)} MiB "
                f"limit for a {role} (a real workbook stays far below; possibly a zip bomb "
                "or a padded file)")
        if info.file_size > MIN_RATIO_CHECK_BYTES \
                and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise UnreadableWorkbook(
                f"{path}: refused, too large when inflated: member {info.filename} would "
                f"inflate from {info.compress_size:,} to {info.file_size:,} bytes (a ratio "
                f"over {MAX_COMPRESSION_RATIO}; possibly a zip bomb)")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnreadableWorkbook(
            f"{path}: refused, too large when inflated: the workbook would inflate to "
            f"{_mib(total)} MiB, more than the {_mib(MAX_UNCOMPRESSED_BYTES)} MiB limit "
            "(possibly a zip bomb)")


_STYLES = "xl/styles.xml"  # where openpyxl reads the styles, whatever the package says
_SMALL_PART = 1024**2


def _declared_parts(path: Path) -> int | None:
    """The number of parts the end-of-central-directory record declares, read from the last
    64 KiB of the file before the directory itself is read; None if it cannot be found."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 65_557))
        tail = fh.read()
    at = tail.rfind(_EMPTY_ZIP_MAGIC)
    if at < 0 or len(tail) < at + 12:
        return None
    count = int.from_bytes(tail[at + 10:at + 12], "little")
    return None if count == 0xFFFF else count  # 0xFFFF: a zip64 count, checked after


def _part_limits(zf: zipfile.ZipFile) -> dict[str, tuple[str, int]]:
    """(role, size limit) of the parts that may be larger than ``MAX_PART_BYTES``: the
    worksheets the workbook's relationships name, and the shared strings its content types
    name (found as openpyxl finds them). The small parts naming them (content types, the
    workbook's relationships) are parsed with defusedxml only when at most 1 MiB; a part
    that plays two roles gets the smaller limit."""
    from defusedxml.ElementTree import fromstring

    sizes = {i.filename: i.file_size for i in zf.infolist()}

    def children(name: str) -> list:
        if sizes.get(name, _SMALL_PART + 1) > _SMALL_PART:
            return []
        try:
            return list(fromstring(zf.read(name)))
        except Exception:  # noqa: BLE001 - a damaged part is reported when openpyxl reads it
            return []

    overrides = [(e.get("PartName") or "", e.get("ContentType") or "")
                 for e in children("[Content_Types].xml") if e.tag.endswith("Override")]
    workbooks = [n.lstrip("/") for n, kind in overrides if kind.endswith(".main+xml")]
    limits: dict[str, tuple[str, int]] = {}
    for workbook in workbooks or ["xl/workbook.xml"]:
        folder, _, name = workbook.rpartition("/")
        rels = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
        for rel in children(rels):
            if (rel.get("Type") or "").endswith("/worksheet"):
                limits[_resolve(workbook, rel.get("Target") or "")] = ("worksheet",
                                                                        MAX_SHEET_BYTES)
    small = {n.lstrip("/") for n, kind in overrides if not kind.endswith("worksheet+xml")}
    small |= {"[Content_Types].xml", _STYLES, *workbooks}
    for part in small & set(limits):
        del limits[part]  # a worksheet that is also another part: the other part's limit
    for part, kind in overrides:
        if kind.endswith("sharedStrings+xml"):
            limits[part.lstrip("/")] = ("shared-strings part", MAX_SHARED_STRINGS_BYTES)
    limits[_STYLES] = ("styles part", MAX_STYLES_BYTES)
    return limits


def _resolve(base: str, target: str) -> str:
    """A relationship's target as a part name, relative to the part ``base``."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = [p for p in base.split("/")[:-1] if p]
    for piece in target.split("/"):
        if piece == "..":
            parts = parts[:-1]
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _mib(size: int) -> str:
    """A size in MiB for a message: 1,024 or 2.5."""
    mib = size / 1024**2
    return f"{mib:,.0f}" if mib >= 10 else f"{mib:.3g}"  # 0.00098 for 1 KiB


_ENTITY_ATTACK = "the XML declares entities (refused: possibly an XML entity attack)"
_OPENPYXL_PART = re.compile(r"could not read (\w+) from")


def _reason(exc: BaseException) -> str:
    """Why reading failed, in one line, from the root of the exception chain.

    openpyxl wraps the parser's exception in a multi-line message that points at a
    traceback the user never sees; the part it names and the root cause say more.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if any(isinstance(e, DefusedXmlException) for e in chain):
        return _ENTITY_ATTACK
    known = [e for e in chain if isinstance(e, ParseError | zipfile.BadZipFile)]
    root = known[0] if known else chain[-1]
    text = str(root) or type(root).__name__
    if "no valid workbook part" in text:
        return "not an .xlsx workbook (no workbook part inside)"
    if isinstance(root, ParseError):
        text = f"invalid XML ({text})"
    elif isinstance(root, zipfile.BadZipFile):
        text = f"the file is damaged ({text}); save it again from Excel"
    part = _OPENPYXL_PART.search(str(exc))
    if part and root is not exc:
        text = f"its {part.group(1)} could not be read: {text}"
    return " ".join(text.split())


class InputWorkbook:
    """A workbook opened read-only for input; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not openpyxl.DEFUSEDXML:  # e.g. OPENPYXL_DEFUSEDXML=False in the environment
            raise UnreadableWorkbook(f"{self.path}: not read: openpyxl is not using defusedxml, "
                                     "so hostile XML could not be refused (unset "
                                     "OPENPYXL_DEFUSEDXML)")
        check_container(self.path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True,
                                                  keep_links=False)
        except UnreadableWorkbook:
            raise
        except Exception as exc:  # openpyxl raises many kinds for damaged files
            raise UnreadableWorkbook(f"{self.path}: cannot be read as an .xlsx workbook: "
                                     f"{_reason(exc)}") from exc

    @property
    def sheet_names(self) -> list[str]:
        """Sheet names in workbook order."""
        return list(self._wb.sheetnames)

    def rows(self, sheet_name: str) -> Iterator[tuple[int, dict[int, object]]]:
        """Yield (Excel row number, {column number: value}) for each stored row.

        Only cells present in the file are returned; blank cells are omitted. Values
        are Python scalars, ``MISSING_CACHED_VALUE`` or ``CellError``. Raises
        UnreadableWorkbook if the sheet XML is malformed or hostile.
        """
        ws = self._wb[sheet_name]
        wb = self._wb
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with wb._archive.open(ws._worksheet_path) as src:  # noqa: SLF001
                    # the sheet's own table: wb.shared_strings is empty in read-only mode
                    strings = ws._shared_strings  # noqa: SLF001
                    parser = _Parser(src, strings, data_only=True, epoch=wb.epoch,
                                     date_formats=wb._date_formats,  # noqa: SLF001
                                     timedelta_formats=wb._timedelta_formats)  # noqa: SLF001
                    for row_number, cells in parser.parse():
                        values: dict[int, object] = {}
                        for cell in cells:
                            value = cell["value"]
                            if value is None or (isinstance(value, str) and value.strip() == ""):
                                continue
                            column = cell["column"]
                            if column > MAX_COLUMNS:
                                raise UnreadableWorkbook(
                                    f"{self.path}: sheet '{sheet_name}' has a cell beyond "
                                    f"Excel's last column (row {row_number})")
                            values[column] = value
                        yield row_number, values
        except UnreadableWorkbook:
            raise
        except _BadCell as exc:
            raise UnreadableWorkbook(
                f"{self.path}: sheet '{sheet_name}' cannot be read: cell {shorten(exc.where)} "
                f"holds {quoted(exc.text)}, which is not a value of its declared type (the "
                "file's XML was damaged or written by hand; re-enter the cell in a "
                "spreadsheet program and save)") from exc
        except Exception as exc:
            raise UnreadableWorkbook(f"{self.path}: sheet '{sheet_name}' cannot be read: "
                                     f"{_reason(exc)}") from exc

    def close(self) -> None:
        """Release the file."""
        self._wb.close()

    def __enter__(self) -> InputWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_workbook(path: str | Path) -> InputWorkbook:
    """Open ``path`` as an input workbook, read-only; raises UnreadableWorkbook."""
    return InputWorkbook(Path(path))
