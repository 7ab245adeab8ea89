"""Opening an input .xlsx safely and streaming its rows.

The file is opened read-only; it is checked before any XML is parsed: the leading
bytes must be a ZIP archive (an OLE2 file is a legacy .xls or an encrypted workbook),
the archive must be complete, and its declared uncompressed size must stay under
``MAX_UNCOMPRESSED_BYTES`` (a zip bomb is refused before anything is inflated). XML is
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

MAX_FILE_BYTES = 200 * 1024**2
"""Largest .xlsx file accepted (bytes on disk): 200 MiB."""

MAX_UNCOMPRESSED_BYTES = 1024**3
"""Largest total declared uncompressed size of the archive's members: 1 GiB."""

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
        cell = super().parse_cell(element)
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
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise UnreadableWorkbook(
            f"{path}: the file is truncated or damaged ({exc}); save it again from Excel") from exc
    except OSError as exc:
        raise UnreadableWorkbook(f"{path}: cannot be read ({exc})") from exc
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise UnreadableWorkbook(f"{path}: a ZIP archive, but not an .xlsx workbook "
                                 "(no workbook inside; is it another kind of document?)")
    total = 0
    for info in infos:
        total += info.file_size
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
