"""`trendwatch nlp train` and `trendwatch nlp eval`: sentiment models on your own labelled posts.

`train` fits a spaCy text classifier (see `nlp.sentiment.textcat`) and saves it to a directory
that the configuration selects with `nlp.sentiment: textcat` and `nlp.model: DIR`. `eval`
measures the default lexicon model, or a trained one, on labelled posts: accuracy, macro-F1,
per-class precision/recall/F1 and the confusion matrix. It runs the same pipeline the service
runs (normalisation, language, tokens, sentiment), so the figures are what users get.

Both take `--holdout FRACTION --seed N`: `train` then never sees that seeded part of the rows
and scores it at the end, and `eval` with the same options scores exactly that part (or, with
`--part rest`, the other one) — a fair train/test split without writing files.

On two-class data (labels negative/positive only) a model may still answer "neutral". Such
answers go to the nearer class by score: positive above 0, negative below; a score of exactly
0 means the post has no sentiment evidence at all, and `--neutral-as` decides (default:
negative, because in two-class review and complaint data, posts without evaluative words are
mostly complaints stated as facts — "the sauce was missing" — while praise uses evaluative words).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from nlp import extensions as ext
from nlp.pipeline import build_pipeline
from nlp.sentiment.dataset import DataError, LabelledData, holdout_split, map_labels, parse_label_map, read_labelled
from nlp.sentiment.evaluation import Evaluation, evaluate
from nlp.sentiment.textcat import EpochReport, TrainProgress, TrainSettings, train
from trendwatch.config import NlpConfig
from trendwatch.errors import TrendwatchError
from trendwatch.models import SentimentLabel

nlp_app = typer.Typer(
    name="nlp",
    help="Sentiment models: train a classifier on your labelled posts, measure a model.",
    no_args_is_help=True,
)

MIN_PER_CLASS = 50

DataOption = Annotated[
    Path, typer.Option("--data", help="Labelled posts: a CSV file, or JSON Lines (.jsonl).", metavar="FILE")
]
TextCol = Annotated[str, typer.Option("--text-col", help="Column (or JSON field) with the post text.")]
LabelCol = Annotated[str, typer.Option("--label-col", help="Column (or JSON field) with the label.")]
LabelMap = Annotated[
    str | None,
    typer.Option(
        "--label-map",
        help="Map label values to negative/neutral/positive, e.g. '0=positive,1=negative'. Names such as "
        "neg/neu/pos, sad/happy are understood without it; numeric codes need it.",
        metavar="VALUE=LABEL,...",
    ),
]
Holdout = Annotated[
    float,
    typer.Option(
        "--holdout",
        min=0.0,
        max=0.9,
        help="Fraction of rows held out (seeded shuffle): train never sees them; eval scores them.",
        metavar="FRACTION",
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the held-out split (and of training).")]


def register(app: typer.Typer) -> None:
    app.add_typer(nlp_app)


@nlp_app.command("train")
def train_command(
    data: DataOption,
    out: Annotated[Path, typer.Option("--out", help="Directory to save the model to.", metavar="DIR")],
    text_col: TextCol = "text",
    label_col: LabelCol = "label",
    label_map: LabelMap = None,
    holdout: Holdout = 0.0,
    seed: Seed = 0,
    epochs: Annotated[int, typer.Option("--epochs", min=1, max=200, help="Most passes over the data.")] = 12,
    patience: Annotated[
        int, typer.Option("--patience", min=1, help="Stop after this many epochs without a better dev score.")
    ] = 3,
    architecture: Annotated[
        str,
        typer.Option(
            "--architecture",
            help="linear: words and word pairs plus the lexicon's evidence (fast; strong on a few thousand "
            "posts); ensemble: spaCy's bag of words plus a small CNN (slower; may help on large data).",
            metavar="linear|ensemble",
        ),
    ] = "linear",
    dev_fraction: Annotated[
        float,
        typer.Option("--dev-fraction", min=0.01, max=0.49, help="Share of the training rows used to pick the epoch."),
    ] = 0.1,
    lexicon_features: Annotated[
        bool,
        typer.Option(
            "--lexicon-features/--no-lexicon-features",
            help="Feed the lexicon model's findings to the classifier as extra evidence.",
        ),
    ] = True,
) -> None:
    """Train a sentiment classifier on labelled posts and save it to DIR.

    Select it with `nlp.sentiment: textcat` and `nlp.model: DIR` in the configuration. Two
    labels (negative/positive) or three (negative/neutral/positive).
    """
    console = Console(stderr=True)
    if architecture not in ("linear", "ensemble"):
        _fail(console, f"--architecture must be linear or ensemble, not {architecture!r}")
    try:
        labelled = read_labelled(data, text_col, label_col)
        labels = map_labels(labelled.labels, parse_label_map(label_map))
        train_idx, held_idx = holdout_split(len(labels), holdout, seed)
        settings = TrainSettings(
            architecture="linear" if architecture == "linear" else "ensemble",
            epochs=epochs,
            patience=patience,
            dev_fraction=dev_fraction,
            seed=seed,
            lexicon_features=lexicon_features,
        )
        _describe(console, data, labelled, labels, train_idx, held_idx)
        texts = [labelled.posts[i].text for i in train_idx]
        with _TrainingBar(console, epochs) as progress:
            result = train(texts, [labels[i] for i in train_idx], out, settings, progress)
    except TrendwatchError as exc:
        _fail(console, str(exc))
    console.print(_epochs_table(result.epochs))
    console.print(
        f"[green]saved[/green] {out} — labels {', '.join(result.labels)}; best epoch {result.best_epoch}, "
        f"dev macro-F1 {result.dev.macro_f1:.3f} on {result.dev_rows} rows; {result.seconds:.0f} s",
        highlight=False,
    )
    console.print(f"use it with:  nlp: {{sentiment: textcat, model: {out}}}", highlight=False, markup=False)
    if held_idx:
        console.print(f"\nscoring the {len(held_idx)} held-out rows with the saved model ...", highlight=False)
        evaluation = _score(console, labelled, labels, held_idx, NlpConfig(sentiment="textcat", model=out), "negative")
        _report(Console(), evaluation, f"{data} (held out)", str(out))


@nlp_app.command("eval")
def eval_command(
    data: DataOption,
    text_col: TextCol = "text",
    label_col: LabelCol = "label",
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", help="A model trained with `trendwatch nlp train` (default: the lexicon model).", metavar="DIR"
        ),
    ] = None,
    label_map: LabelMap = None,
    holdout: Holdout = 0.0,
    seed: Seed = 0,
    part: Annotated[
        str,
        typer.Option("--part", help="With --holdout: score the held-out rows, or the rest.", metavar="held-out|rest"),
    ] = "held-out",
    neutral_as: Annotated[
        str,
        typer.Option(
            "--neutral-as",
            help="Two-class data: the class for posts with no sentiment evidence (score exactly 0).",
            metavar="negative|positive",
        ),
    ] = "negative",
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object.")] = False,
) -> None:
    """Measure a sentiment model on labelled posts: accuracy, macro-F1, confusion matrix."""
    err = Console(stderr=True)
    if part not in ("held-out", "rest"):
        _fail(err, f"--part must be held-out or rest, not {part!r}")
    if neutral_as not in ("negative", "positive"):
        _fail(err, f"--neutral-as must be negative or positive, not {neutral_as!r}")
    config = NlpConfig(sentiment="textcat", model=model) if model is not None else NlpConfig()
    try:
        labelled = read_labelled(data, text_col, label_col)
        labels = map_labels(labelled.labels, parse_label_map(label_map))
        rest_idx, held_idx = holdout_split(len(labels), holdout, seed)
        rows = held_idx if holdout and part == "held-out" else rest_idx
        evaluation = _score(err, labelled, labels, rows, config, "negative" if neutral_as == "negative" else "positive")
    except TrendwatchError as exc:
        _fail(err, str(exc))
    subset = f" ({part} part of a {holdout:g} hold-out, seed {seed})" if holdout else ""
    name = str(model) if model is not None else "lexicon (default)"
    if as_json:
        sys.stdout.write(orjson.dumps(_as_json(evaluation, str(data) + subset, name)).decode() + "\n")
        return
    _report(Console(), evaluation, f"{data}{subset}", name)


def _fail(console: Console, message: str) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(2)


def _describe(
    console: Console,
    data: Path,
    labelled: LabelledData,
    labels: Sequence[SentimentLabel],
    train_idx: Sequence[int],
    held_idx: Sequence[int],
) -> None:
    counts = Counter(labels[i] for i in train_idx)
    skipped = f", {labelled.skipped} without text skipped" if labelled.skipped else ""
    held = f"; {len(held_idx)} held out" if held_idx else ""
    console.print(
        f"{data}: training on {len(train_idx)} posts ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})"
        f"{held}{skipped}",
        highlight=False,
    )
    if min(counts.values()) < MIN_PER_CLASS:
        console.print(
            f"[yellow]note:[/yellow] fewer than {MIN_PER_CLASS} posts of some label: expect a weak model "
            "(a few hundred labelled posts per label is a sensible start)",
            highlight=False,
        )


class _TrainingBar:
    """A rich progress bar over the batches of each epoch, fed by `TrainProgress` callbacks."""

    def __init__(self, console: Console, epochs: int) -> None:
        self._progress = Progress(
            TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._epochs = epochs
        self._task = self._progress.add_task("train", total=None, epoch=1, epochs=epochs, status="")
        self._last = ""

    def __enter__(self) -> TrainProgress:
        self._progress.start()
        return TrainProgress(batches=self._batches, epoch=self._epoch)

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def _batches(self, epoch: int, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=total, epoch=epoch, status=self._last)

    def _epoch(self, report: EpochReport) -> None:
        self._last = f"last dev macro-F1 {report.dev_macro_f1:.3f}"
        self._progress.console.print(
            f"epoch {report.epoch}: loss {report.loss:.2f}, dev accuracy {report.dev_accuracy:.3f}, "
            f"macro-F1 {report.dev_macro_f1:.3f}{'  (best so far)' if report.best else ''}",
            highlight=False,
        )


def _epochs_table(reports: Sequence[EpochReport]) -> Table:
    table = Table(
        "epoch", "loss", "dev accuracy", "dev macro-F1", "seconds", "", title="Training", title_justify="left"
    )
    for r in reports:
        table.add_row(
            str(r.epoch),
            f"{r.loss:.2f}",
            f"{r.dev_accuracy:.3f}",
            f"{r.dev_macro_f1:.3f}",
            f"{r.seconds:.1f}",
            "best" if r.best else "",
        )
    return table


def _batches(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _score(
    console: Console,
    labelled: LabelledData,
    labels: Sequence[SentimentLabel],
    rows: Sequence[int],
    config: NlpConfig,
    tie: SentimentLabel,
) -> Evaluation:
    """Run the service's pipeline over `rows` and compare with the gold labels."""
    if not rows:
        raise DataError("no rows to score (is --holdout 0 with --part held-out?)")
    pipeline = build_pipeline(config, [])
    gold = [labels[i] for i in rows]
    two_class = "neutral" not in set(gold)
    predicted: list[str] = []
    columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("score", total=len(rows))
        for batch in _batches(rows, 500):
            for doc in pipeline.pipe([labelled.posts[i].text for i in batch], batch_size=500):
                label: str = ext.get(doc, ext.SENTIMENT_LABEL)
                if two_class and label == "neutral":
                    score = float(ext.get(doc, ext.SENTIMENT))
                    label = "positive" if score > 0 else "negative" if score < 0 else tie
                predicted.append(label)
            progress.advance(task, len(batch))
    return evaluate(gold, predicted)


def _report(console: Console, evaluation: Evaluation, data: str, model: str) -> None:
    console.print(f"[bold]Sentiment[/bold] model: {model}\ndata: {data}", highlight=False)
    summary = Table(show_header=False)
    summary.add_row("posts", str(evaluation.count))
    summary.add_row("accuracy", f"{evaluation.accuracy:.4f}")
    summary.add_row("macro-F1", f"{evaluation.macro_f1:.4f}")
    console.print(summary)
    classes = Table("class", "precision", "recall", "F1", "support", title="Per class", title_justify="left")
    for c in evaluation.classes:
        classes.add_row(c.label, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", str(c.support))
    console.print(classes)
    matrix = Table("gold \\ predicted", *evaluation.predicted_labels, title="Confusion matrix", title_justify="left")
    for label, row in zip(evaluation.labels, evaluation.matrix, strict=True):
        matrix.add_row(label, *(str(n) for n in row))
    console.print(matrix)


def _as_json(evaluation: Evaluation, data: str, model: str) -> dict[str, object]:
    return {
        "data": data,
        "model": model,
        "posts": evaluation.count,
        "accuracy": evaluation.accuracy,
        "macro_f1": evaluation.macro_f1,
        "classes": {
            c.label: {"precision": c.precision, "recall": c.recall, "f1": c.f1, "support": c.support}
            for c in evaluation.classes
        },
        "confusion": {
            "labels": list(evaluation.labels),
            "predicted_labels": list(evaluation.predicted_labels),
            "matrix": [list(row) for row in evaluation.matrix],
        },
    }
