"""Reading a source system's export: a CSV (its encoding detected) or an XLSX workbook, as
lines of cells. A file that cannot be read raises ``UnreadableFile`` before anything is written.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from mdm.errors import ServiceError

#: The column of a row's local code in an import's header.
LOCAL_CODE = "local_code"


class UnreadableFile(ServiceError):
    """A file the import cannot read at all: missing, empty, not a table, no header, not in
    the encoding it was read with. Nothing was imported."""

    code = "unreadable_file"

    def __init__(self, path: Path, message_zh: str, message_en: str):
        super().__init__(
            f"无法读取 {path.name}：{message_zh}", f"cannot read {path.name}: {message_en}"
        )


#: Encodings preferred among charset-normalizer's equally good guesses: GB18030 (a superset of
#: GBK and GB 2312, what Excel writes for "CSV" on Chinese Windows), then Big5. A short file
#: (a few Chinese words) decodes without a fault in several East Asian encodings.
PREFERRED_ENCODINGS = ("gb18030", "big5")
#: Bytes of a file that charset-normalizer looks at (cut at a line end).
DETECTION_SAMPLE = 4 << 20
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def detect_encoding(path: Path) -> str:
    """The encoding of a text file: a BOM's, else UTF-8 if every byte decodes as UTF-8, else
    charset-normalizer's guess (GB18030 first among equals)."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        handle.seek(0)
        sample = handle.read(DETECTION_SAMPLE)
    if len(sample) == DETECTION_SAMPLE and b"\n" in sample:
        # A line end never falls inside a multi-byte character of these encodings.
        sample = sample[: sample.rindex(b"\n") + 1]
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        raise UnreadableFile(
            path,
            "不是可识别编码的文本文件（不是 CSV？可用 --encoding 指定编码）",
            "not text in any encoding found (not a CSV?); name one with --encoding",
        )
    least = min(m.chaos for m in matches)
    best = [m.encoding for m in matches if m.chaos == least]
    return next((e for e in PREFERRED_ENCODINGS if e in best), best[0])


@dataclass(frozen=True)
class Table:
    """A CSV or XLSX file, and how to read it."""

    path: Path
    kind: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ","

    def lines(self) -> Iterator[tuple[int, list[str]]]:
        """``(line number, cells)`` of every non-blank line, the header first.

        Raises ``UnreadableFile`` where a CSV turns out not to be in its encoding or not CSV.
        """
        if self.kind == "xlsx":
            yield from self._sheet_lines()
            return
        start = 1
        try:
            with self.path.open(encoding=self.encoding, newline="") as handle:
                reader = csv.reader(handle, delimiter=self.delimiter)
                for cells in reader:
                    if any("\x00" in cell for cell in cells):
                        raise UnreadableFile(
                            self.path,
                            f"第 {start} 行含 NUL 字符（二进制文件？）",
                            f"line {start} holds a NUL character (a binary file?)",
                        )
                    if any(cell.strip() for cell in cells):
                        yield start, cells
                    start = reader.line_num + 1
        except UnicodeDecodeError:
            raise UnreadableFile(
                self.path,
                f"第 {start} 行附近的字节不是 {self.encoding} 编码（可用 --encoding 指定编码）",
                f"bytes near line {start} are not {self.encoding}; name the encoding "
                "with --encoding",
            ) from None
        except csv.Error as exc:
            raise UnreadableFile(
                self.path,
                f"第 {start} 行不是有效的 CSV（{exc}）",
                f"line {start} is not valid CSV ({exc})",
            ) from None

    def _sheet_lines(self) -> Iterator[tuple[int, list[str]]]:
        from openpyxl import load_workbook

        workbook = load_workbook(self.path, read_only=True, data_only=True)
        try:
            for line, values in enumerate(workbook.active.iter_rows(values_only=True), start=1):
                cells = [_cell(v) for v in values or ()]
                while cells and not cells[-1].strip():
                    cells.pop()
                if cells:
                    yield line, cells
        finally:
            workbook.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if hasattr(value, "hour") else value.isoformat()
    return str(value)


def open_table(path: Path, encoding: str | None = None) -> Table:
    """The table in ``path``: an XLSX workbook (by its content, whatever its name) or a CSV in
    ``encoding`` (detected when not given; comma- or tab-separated). Raises ``UnreadableFile``."""
    if not path.is_file():
        raise UnreadableFile(path, "文件不存在", "file not found")
    with path.open("rb") as handle:
        head = handle.read(4)
    if not head:
        raise UnreadableFile(path, "文件为空", "the file is empty")
    if head == OLE_MAGIC:
        raise UnreadableFile(
            path,
            "不支持 Excel 97-2003 (.xls) 文件，请另存为 XLSX 或 CSV",
            "Excel 97-2003 (.xls) files are not supported; save as XLSX or CSV",
        )
    if head == ZIP_MAGIC:
        return _open_workbook(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise UnreadableFile(path, "不是 XLSX 工作簿", "not an XLSX workbook")
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise UnreadableFile(
                path, f"未知编码 {encoding}", f"unknown encoding {encoding}"
            ) from None
    else:
        encoding = detect_encoding(path)
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        first = handle.readline()
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return Table(path, "csv", encoding, delimiter)


def _open_workbook(path: Path) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        load_workbook(path, read_only=True).close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise UnreadableFile(
            path, "不是可读的 XLSX 工作簿", "not a readable XLSX workbook"
        ) from None
    return Table(path, "xlsx")
