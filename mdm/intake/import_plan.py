"""The first pass over a file, before anything is written: which columns are imported, which
rows are refused (a local code on several lines, cells beyond the header) and why."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from dictionary.services import compiled_elements
from mdm.intake.import_report import IGNORED, REJECTED
from mdm.intake.tables import LOCAL_CODE, Table, UnreadableFile
from mdm.records.entities import check_entity


@dataclass
class ImportPlan:
    """What a first pass over a file found, before anything is written.

    ``columns``: the cells imported (cell index -> ``local_code`` or element code);
    ``problems``: header problems (once each) and the rows refused before writing (a local
    code that occurs on several lines, cells beyond the header), whose lines are ``refused``.
    """

    table: Table
    entity: str
    columns: dict[int, str]
    rows: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    refused: set[int] = field(default_factory=set)

    def kept_rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """``(line, row)`` of the rows to write, in file order, with the imported columns."""
        lines = self.table.lines()
        next(lines, None)  # the header
        for line, cells in lines:
            if line in self.refused:
                continue
            yield line, {name: cells[i] for i, name in self.columns.items() if i < len(cells)}


#: Line numbers listed in a duplicate's message (the rest are counted).
LISTED_LINES = 10


def plan_import(table: Table, entity: str) -> ImportPlan:
    """Read the header and every row once: the columns to import, header problems, rows refused.

    1. The header must name a ``local_code`` column (else ``UnreadableFile``). A column that
       is not an element of the entity, a second column of the same name, cells under a
       blank column name: reported once, not imported.
    2. A row with non-empty cells beyond the header is refused (its values cannot be matched
       to columns: often a comma inside an unquoted value).
    3. A local code on several rows is refused on every one of them: which row is the record
       cannot be told, and applying them in turn would lose the first rows' data and make
       every re-import of the file change the record back and forth.
    """
    check_entity(entity)
    lines = table.lines()
    first = next(lines, None)
    if first is None:
        raise UnreadableFile(table.path, "没有表头行", "there is no header line")
    header_line, header = first
    names = [unicodedata.normalize("NFC", h).strip().lstrip("\ufeff").strip() for h in header]
    if LOCAL_CODE not in names:
        shown = ",".join(names)[:80]
        raise UnreadableFile(
            table.path,
            f"表头须含 local_code 列（第 {header_line} 行：{shown}）",
            f"the header must have a local_code column (line {header_line}: {shown})",
        )
    elements = compiled_elements(entity)
    plan = ImportPlan(table=table, entity=entity, columns={})
    blank: list[int] = []
    for index, name in enumerate(names):
        if not name:
            blank.append(index)
        elif name in plan.columns.values():
            plan.problems.append(
                _header_problem(
                    name,
                    "duplicate_column",
                    f"第 {index + 1} 列与前面的列同名，未导入",
                    f"column {index + 1} repeats an earlier column's name; not imported",
                )
            )
        elif name == LOCAL_CODE or name in elements:
            plan.columns[index] = name
        else:
            plan.problems.append(
                _header_problem(
                    name,
                    "unknown_element",
                    f"{name} 不是{entity}的数据元，该列未导入",
                    f"{name} is not an element of {entity} in the dictionary; "
                    "the column was not imported",
                )
            )
    local_index = names.index(LOCAL_CODE)
    width = len(names)
    first_line: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    blank_used = False
    for line, cells in lines:
        plan.rows += 1
        code = cells[local_index].strip() if local_index < len(cells) else ""
        extra = sum(1 for cell in cells[width:] if cell.strip())
        if extra:
            plan.refused.add(line)
            plan.problems.append(
                _row_problem(
                    line,
                    code,
                    "extra_cells",
                    f"本行比表头多 {extra} 个非空单元格（值中含逗号？），未导入",
                    f"{extra} non-empty cells beyond the header's {width} columns (a comma "
                    "inside a value?); the row was not imported",
                )
            )
        if not blank_used and any(i < len(cells) and cells[i].strip() for i in blank):
            blank_used = True
        if code:
            seen = first_line.setdefault(code, line)
            if seen != line:
                repeated.setdefault(code, [seen]).append(line)
    if blank_used:
        plan.problems.append(
            _header_problem(
                "",
                "blank_column_name",
                "有值的列没有列名，未导入",
                "a column with values has no name in the header; not imported",
            )
        )
    for code, where in repeated.items():
        listed = ", ".join(str(n) for n in where[:LISTED_LINES])
        if len(where) > LISTED_LINES:
            listed += f", … ({len(where)})"
        for line in where:
            if line in plan.refused:
                continue  # already refused for its cells
            plan.refused.add(line)
            plan.problems.append(
                _row_problem(
                    line,
                    code,
                    "duplicate_local_code",
                    f"本地编码在文件中出现 {len(where)} 次（第 {listed} 行），均未导入",
                    f"the local code occurs {len(where)} times in the file (lines {listed}); "
                    "none of them was imported",
                )
            )
    return plan


def _header_problem(name: str, code: str, zh: str, en: str) -> dict[str, str]:
    return {
        "line": "1",
        "local_code": "",
        "outcome": IGNORED,
        "field": name,
        "code": code,
        "message": f"{zh} / {en}",
    }


def _row_problem(line: int, local_code: str, code: str, zh: str, en: str) -> dict[str, str]:
    return {
        "line": str(line),
        "local_code": local_code,
        "outcome": REJECTED,
        "field": LOCAL_CODE if code == "duplicate_local_code" else "",
        "code": code,
        "message": f"{zh} / {en}",
    }
