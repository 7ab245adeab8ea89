"""``stockopt scenarios``: sample equally likely scenarios from the Risks sheet and write a
copy of the input workbook whose Scenarios, Disruptions and DemandShocks sheets hold them.

Returns the exit status: 0 success, 1 an unwritable output; bad input exits 2 before.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..data import ModelData
from ..files.atomic import OutputNotWritable
from ..workbook.file import open_workbook
from ..workbook.reader import RawWorkbook
from ..workbook.sampling import risk_events, sample_notes, sample_scenarios, sampled_workbook_tables
from ..workbook.template import write_input_workbook
from .common import EXIT_FAILURE, EXIT_OK, refusal, writing_outputs


def _readme_notes(path: Path) -> tuple[str | None, list[tuple[str, str]]]:
    """The title and the Notes (heading, text) of a README sheet written by stockopt, if any."""
    try:
        with open_workbook(path) as wb:
            title = next((n for n in wb.sheet_names if n.strip().lower() == "readme"), None)
            if title is None:
                return None, []
            heading, notes, inside = None, [], False
            for row, cells in wb.rows(title):
                first = cells.get(1)
                if row == 1 and isinstance(first, str):
                    heading = first
                if first == "Notes" and not inside:
                    inside = True
                    continue
                if inside:
                    if not isinstance(first, str) or not isinstance(cells.get(2), str):
                        break
                    notes.append((first, cells[2]))
            return heading, notes
    except Exception:  # noqa: BLE001 - the notes are a courtesy; never fail the command
        return None, []


def run_scenarios_command(workbook: Path, raw: RawWorkbook, data: ModelData, *, output: Path,
                          samples: int, seed: int, quiet: bool = False) -> int:
    """Sample ``samples`` scenarios with ``seed`` and write the sampled workbook."""
    events = risk_events(raw)
    sample = sample_scenarios(events, data.n_periods, samples, seed)
    tables = sampled_workbook_tables(raw, sample, data.periods)
    title, old_notes = _readme_notes(workbook)
    notes = sample_notes(workbook, sample, data.n_periods)
    if old_notes:
        notes += [(f"From {workbook.name}: {h}", t) for h, t in old_notes]
    heading = f"{title or workbook.stem}: {samples} scenarios sampled from its risks (seed {seed})"
    try:
        with writing_outputs(((output, "output workbook"),), ((workbook, "input workbook"),)):
            write_input_workbook(output, tables, title=heading, notes=notes)
    except OutputNotWritable as exc:
        click.echo(refusal(exc), err=True)
        return EXIT_FAILURE
    except OSError as exc:
        click.echo(f"error: cannot write {output}: {exc}", err=True)
        return EXIT_FAILURE
    if not quiet:
        calm = sum(1 for i in range(sample.size)
                   if not any(sample.active[e.name][i].any() for e in events))
        cells = samples * data.n_periods
        click.echo(f"sampled {samples} scenarios (seed {seed}) from {len(events)} risk "
                   f"event{'s' if len(events) != 1 else ''}; {calm} with no event")
        click.echo(f"{'event':<24}{'p/period':>10}{'starts/period':>15}{'scenarios hit':>15}")
        for e in events:
            starts = int(sample.started[e.name].sum())
            hit = int(sample.active[e.name].any(axis=1).sum())
            click.echo(f"{e.name:<24}{e.start_probability:>10.3g}{starts / cells:>15.3f}"
                       f"{hit / samples:>15.1%}")
        click.echo(f"wrote {output}")
    return EXIT_OK
