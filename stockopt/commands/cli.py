"""The ``stockopt`` command line: template, validate, solve.

Exit status: 0 success, 2 bad input (every problem is listed on standard error; also an
output that is an input, or two outputs that are one file), 1 a failure inside (solver not
optimal, an output the file system will not take), 130 after SIGINT (Ctrl-C), 143 after
SIGTERM. Every output path is checked before any long work (``common.check_outputs_or_exit``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import __version__
from ..files.atomic import OutputNotWritable
from ..files.targets import exists
from ..workbook.file import UnreadableWorkbook
from .common import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    check_outputs_or_exit,
    default_comparison_output,
    default_cooperation_output,
    default_evaluation_output,
    default_frontier_output,
    default_output,
    default_sampled_output,
    default_sensitivity_output,
    echo_problems,
    load_for_outputs,
    load_or_exit,
    load_with_risks,
    refusal,
)
from .interrupt import ending_cleanly


class _Stockopt(click.Group):
    """The command group; a signal anywhere in a command ends it cleanly (130 or 143)."""

    def main(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - click's signature
        with ending_cleanly():
            return super().main(*args, **kwargs)


@click.group(cls=_Stockopt, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stockopt")
def main() -> None:
    """stockopt: stockpiles, offtakes and swaps against critical-mineral supply shocks."""


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--example", is_flag=True, help="Fill the template with a small worked example.")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def template(out: Path, example: bool, force: bool) -> None:
    """Write an input workbook template to OUT (.xlsx)."""
    from ..workbook.template import write_template

    if exists(out) and not out.is_dir() and not force:
        click.echo(f"error: {out} exists; use --force to overwrite it.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    check_outputs_or_exit(((out, "template"),))
    try:
        write_template(out, example=example)
    except OutputNotWritable as exc:
        click.echo(refusal(exc), err=True)
        sys.exit(EXIT_FAILURE)
    except OSError as exc:
        click.echo(f"error: cannot write {out}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_FAILURE)
    click.echo(f"wrote {'example' if example else 'template'} workbook {out}")


@main.command("validate")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
def validate_cmd(workbook: Path, as_json: bool) -> None:
    """Check WORKBOOK against the input format and list every problem."""
    loaded = load_or_exit(workbook, as_json=as_json, writes=False)
    if as_json:
        click.echo(loaded.problems.to_json())
    echo_problems(loaded)
    if loaded.data is None:  # pragma: no cover - load_or_exit exits on errors
        sys.exit(EXIT_BAD_INPUT)
    n_warn = loaded.problems.warning_count
    click.echo(f"{workbook}: valid: {loaded.data.summary_line()}"
               + (f" ({n_warn} warning{'s' if n_warn != 1 else ''})" if n_warn else ""),
               err=as_json)


@main.command("solve")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output workbook (default: IN-results.xlsx beside the input).")
@click.option("--summary-json", type=click.Path(path_type=Path),
              help="Also write the headline results as JSON here.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Wall-clock limit for the solver, all phases together (seconds).")
@click.option("--algorithm", type=click.Choice(["simplex", "ipx", "choose"]),
              default="simplex", show_default=True,
              help="HiGHS algorithm for phase 1: dual simplex, or ipx (interior point with "
              "crossover); phase 2 always continues with primal simplex from phase 1's basis.")
@click.option("--builder", type=click.Choice(["arrays", "pyomo"]), default="arrays",
              show_default=True, help="How the LP is built: vectorized arrays (fast), or the "
              "readable Pyomo model compiled to the same matrix (reference).")
@click.option("--engine", type=click.Choice(["auto", "highs", "benders"]), default="auto",
              show_default=True, help="highs: the extensive form (every scenario in one LP), "
              "solved by HiGHS. benders: the L-shaped method (exact; one process, or the "
              "scenarios spread over the ranks of `mpiexec -n R`). auto: benders for large "
              "scenario sets (subproblems of 250,000 nonzeros in all) or under mpiexec, "
              "else highs (see README).")
@click.option("--verbose", is_flag=True, help="Stream the HiGHS log.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def solve_cmd(workbook: Path, output: Path | None, summary_json: Path | None,
              time_limit: float | None, algorithm: str, builder: str, engine: str,
              verbose: bool, quiet: bool) -> None:
    """Optimize the plan for WORKBOOK and write the results workbook."""
    from .solve import run_solve_command

    output = output or default_output(workbook)
    sys.exit(run_solve_command(workbook, output=output, summary_json=summary_json,
                               time_limit=time_limit, algorithm=algorithm, verbose=verbose,
                               quiet=quiet, builder=builder, engine=engine))


@main.command("frontier")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output workbook (default: IN-frontier.xlsx beside the input).")
@click.option("--party", default=None, metavar="PARTY",
              help="Sweep this party's budget (the others stay as in the workbook).")
@click.option("--scale-all", is_flag=True,
              help="Scale every budget (and the pooled one) together; the default.")
@click.option("--pooled", is_flag=True, help="Sweep the pooled budget.")
@click.option("--from", "start", type=float, default=None, metavar="X",
              help="Start of the range in currency (--scale-all: total of the party budgets).")
@click.option("--to", "stop", type=float, default=None, metavar="Y",
              help="End of the range in currency (--scale-all: total of the party budgets).")
@click.option("--from-fraction", type=float, default=None, metavar="F",
              help="Start as a multiple of the workbook's budget [default: 0].")
@click.option("--to-fraction", type=float, default=None, metavar="G",
              help="End as a multiple of the workbook's budget [default: 2].")
@click.option("--steps", type=int, default=11, show_default=True,
              help="Number of points, evenly spaced, both ends included.")
@click.option("--summary-json", type=click.Path(path_type=Path),
              help="Also write every point as JSON here.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Wall-clock limit per point, both phases together (seconds).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def frontier_cmd(workbook: Path, output: Path | None, party: str | None, scale_all: bool,
                 pooled: bool, start: float | None, stop: float | None,
                 from_fraction: float | None, to_fraction: float | None, steps: int,
                 summary_json: Path | None, time_limit: float | None, quiet: bool) -> None:
    """Sweep a budget over a range and tabulate and chart risk, cost and the lever mix."""
    from ..studies.frontier import SweepError, define_sweep
    from .frontier import run_frontier_command

    output = output or default_frontier_output(workbook)
    loaded = load_for_outputs(workbook, output, summary_json, quiet=quiet)
    try:
        sweep = define_sweep(loaded.data, party=party, scale_all=scale_all, pooled=pooled,
                             start=start, stop=stop, from_fraction=from_fraction,
                             to_fraction=to_fraction, steps=steps)
    except SweepError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(run_frontier_command(workbook, loaded.data, sweep, output=output,
                                  summary_json=summary_json, time_limit=time_limit,
                                  quiet=quiet))


@main.command("cooperation")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output workbook (default: IN-cooperation.xlsx beside the input).")
@click.option("--summary-json", type=click.Path(path_type=Path),
              help="Also write each party's risk and spend, alone and together, as JSON.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Wall-clock limit per solve (each party alone, then together; seconds).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def cooperation_cmd(workbook: Path, output: Path | None, summary_json: Path | None,
                    time_limit: float | None, quiet: bool) -> None:
    """Solve WORKBOOK jointly and for each party alone; report what cooperation buys each."""
    from .cooperation import run_cooperation

    output = output or default_cooperation_output(workbook)
    loaded = load_for_outputs(workbook, output, summary_json, quiet=quiet)
    sys.exit(run_cooperation(workbook, loaded.data, output=output, summary_json=summary_json,
                             time_limit=time_limit, quiet=quiet))


@main.command("sensitivity")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output workbook (default: IN-sensitivity.xlsx beside the input).")
@click.option("--summary-json", type=click.Path(path_type=Path),
              help="Also write the base, the groups by swing and every point as JSON here.")
@click.option("--groups", "groups", default=None, metavar="KINDS",
              help="Comma-separated group kinds to vary: demand, price, probability, "
              "disruption, budget, market_depth, risk_weight, cvar_alpha [default: all].")
@click.option("--range", "spread", type=float, default=0.2, show_default=True,
              help="Relative change of each group: low × (1 − range), high × (1 + range).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Wall-clock limit per solve, both phases together (seconds).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def sensitivity_cmd(workbook: Path, output: Path | None, summary_json: Path | None,
                    groups: str | None, spread: float, time_limit: float | None,
                    quiet: bool) -> None:
    """Vary each input group of WORKBOOK low and high; chart which moves the risk most."""
    from ..studies.sensitivity import SensitivityError, check_range, parse_kinds
    from .sensitivity import run_sensitivity_command

    try:
        kinds = parse_kinds(groups)
        spread = check_range(spread)
    except SensitivityError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    output = output or default_sensitivity_output(workbook)
    loaded = load_for_outputs(workbook, output, summary_json, quiet=quiet)
    if loaded.data.party_risk_limit == "alone":
        click.echo("error: sheet 'Settings', party_risk_limit: expected none for a sensitivity "
                   "study; found alone (each party's stand-alone risk would change with every "
                   "input varied). Set it to none; max_risk limits are kept.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(run_sensitivity_command(workbook, loaded.data, output=output,
                                     summary_json=summary_json, kinds=kinds, spread=spread,
                                     time_limit=time_limit, quiet=quiet))


@main.command("compare")
@click.argument("plans", nargs=-1, type=click.Path(path_type=Path))
@click.option("--on", "workbook", type=click.Path(path_type=Path), required=True,
              help="The input workbook every plan is evaluated on.")
@click.option("--samples", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also evaluate every plan on this many fresh scenarios sampled from the "
              "input's Risks sheet (the same ones for every plan); 0: none.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of that sample (the evaluation stream, as stockopt evaluate).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output workbook (default: IN-comparison.xlsx beside the input).")
@click.option("--summary-json", type=click.Path(path_type=Path),
              help="Also write the comparison as JSON here.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def compare_cmd(plans: tuple[Path, ...], workbook: Path, samples: int, seed: int,
                output: Path | None, summary_json: Path | None, quiet: bool) -> None:
    """Compare solved plans (results workbooks) side by side on one input workbook."""
    from ..studies.evaluation import PlanError, read_plan
    from ..workbook.sampling import risk_events, sample_scenarios
    from .compare import run_compare_command

    if len(plans) < 2:
        click.echo(f"error: expected at least two results workbooks to compare; found "
                   f"{len(plans)}. Usage: stockopt compare A-results.xlsx B-results.xlsx "
                   "--on IN.xlsx", err=True)
        sys.exit(EXIT_BAD_INPUT)
    output = output or default_comparison_output(workbook)
    inputs = ((workbook, "input workbook"), *((p, "plan workbook") for p in plans))
    check_outputs_or_exit(((output, "output workbook"), (summary_json, "summary JSON")), inputs)
    loaded = load_with_risks(workbook, quiet) if samples else load_or_exit(workbook)
    if not quiet and not samples:
        echo_problems(loaded)
    read = []
    for path in plans:
        try:
            read.append((path, read_plan(path)))
        except UnreadableWorkbook as exc:
            click.echo(f"error: {path}: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except PlanError as exc:
            for line in str(exc).splitlines():
                click.echo(f"error: {path.name}: {line}", err=True)
            sys.exit(EXIT_BAD_INPUT)
    sample = None
    if samples:
        sample = sample_scenarios(risk_events(loaded.raw), loaded.data.n_periods, samples,
                                  seed, evaluation=True, prefix="eval")
    try:
        code = run_compare_command(workbook, loaded.data, read, output=output,
                                   summary_json=summary_json, sample=sample, quiet=quiet)
    except PlanError as exc:
        for line in str(exc).splitlines():
            click.echo(f"error: {line}", err=True)
        click.echo("nothing was written.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(code)


@main.command("scenarios")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--samples", type=click.IntRange(min=1), required=True,
              help="Number of scenarios to sample (each with probability 1/N).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the random generator (the same seed gives the same workbook).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output workbook (default: IN-sampled.xlsx beside the input).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def scenarios_cmd(workbook: Path, samples: int, seed: int, output: Path | None,
                  quiet: bool) -> None:
    """Sample scenarios from WORKBOOK's Risks sheet into a copy of the workbook."""
    from .scenarios import run_scenarios_command

    output = output or default_sampled_output(workbook)
    check_outputs_or_exit(((output, "output workbook"),), ((workbook, "input workbook"),))
    loaded = load_with_risks(workbook, quiet)
    sys.exit(run_scenarios_command(workbook, loaded.raw, loaded.data, output=output,
                                   samples=samples, seed=seed, quiet=quiet))


@main.command("evaluate")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), required=True,
              help="Results workbook of a solved plan (written by stockopt solve).")
@click.option("--samples", type=click.IntRange(min=2), default=1000, show_default=True,
              help="Size of the fresh, independent out-of-sample sample.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the evaluation sample (an independent stream from the one "
              "`stockopt scenarios` uses, even with the same seed).")
@click.option("--batch-size", type=click.IntRange(min=1), default=100, show_default=True,
              help="Scenarios per evaluation LP (bounds memory).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output workbook (default: IN-evaluation.xlsx beside the input).")
@click.option("--summary-json", type=click.Path(path_type=Path),
              help="Also write the statistics as JSON here.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def evaluate_cmd(workbook: Path, plan_path: Path, samples: int, seed: int, batch_size: int,
                 output: Path | None, summary_json: Path | None, quiet: bool) -> None:
    """Evaluate a solved plan in sample and on a fresh sample from WORKBOOK's Risks sheet."""
    from ..studies.evaluation import PlanError, read_plan
    from .evaluate import run_evaluate_command

    output = output or default_evaluation_output(workbook)
    check_outputs_or_exit(((output, "output workbook"), (summary_json, "summary JSON")),
                          ((workbook, "input workbook"), (plan_path, "plan workbook")))
    loaded = load_with_risks(workbook, quiet)
    try:
        plan = read_plan(plan_path)
        code = run_evaluate_command(workbook, loaded.raw, loaded.data, plan, plan_path,
                                    output=output, summary_json=summary_json,
                                    samples=samples, seed=seed, batch=batch_size,
                                    quiet=quiet)
    except UnreadableWorkbook as exc:
        click.echo(f"error: --plan: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except PlanError as exc:
        for line in str(exc).splitlines():
            click.echo(f"error: --plan {plan_path.name}: {line}", err=True)
        click.echo("nothing was written.", err=True)
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
