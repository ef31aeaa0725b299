"""Trainable sentiment: a spaCy text classifier that users train on their own labelled posts.

A lexicon knows words; a classifier trained on a brand's own posts learns its domain ("the
app logged me out" is a complaint in a bank's mentions). `train()` fits spaCy's `textcat`
(a bag-of-n-grams linear model plus a small CNN, or the linear model alone) on blank-pipeline
tokens **plus the lexicon's evidence**: each post is fed with a few extra tokens saying what the
default lexicon model found (its score band, how many positive and negative words), so the
classifier starts from the rules and learns where a domain departs from them.

A model directory holds a spaCy pipeline (tokenizer + textcat, `spacy.load`-able) and
`trendwatch-sentiment.json` (labels, settings, training figures). Three-class models predict
the arg-max label; two-class (negative/positive) models call a post neutral when neither side
is clearly more likely (|P(pos) - P(neg)| < `NEUTRAL_MARGIN`). The score is P(pos) - P(neg).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import orjson
import spacy
from spacy.attrs import ORTH  # type: ignore[import-not-found]
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch, registry
from thinc.api import Adam, Linear, Model, SparseLinear_v2, add, chain, softmax_activation
from thinc.types import Floats1d, Floats2d, Ints1d

from nlp.normalise import normalise
from nlp.sentiment.evaluation import Evaluation, evaluate
from nlp.sentiment.lexicon import LexiconSentiment, script_language
from nlp.sentiment.persian import fa_key
from trendwatch import __version__
from trendwatch.errors import TrendwatchError
from trendwatch.models import SENTIMENT_LABELS, SentimentLabel

META_FILE = "trendwatch-sentiment.json"
FORMAT = 1
NEUTRAL_MARGIN = 0.2
Architecture = Literal["linear", "ensemble"]
LEXICON_FEATURES = "trendwatch.lexicon_features"  # doc.user_data key of the dense features
N_LEXICON_FEATURES = 8


class ModelError(TrendwatchError):
    """A sentiment model directory is missing, not a trendwatch model, or unreadable."""


@registry.architectures("trendwatch.SentimentLinear.v1")
def build_sentiment_linear(
    ngram_size: int = 2, length: int = 262144, scale: float = 5.0, nO: int | None = None
) -> Model[list[Doc], Floats2d]:
    """A linear classifier over word and word-pair counts plus the lexicon's evidence.

    Like spaCy's TextCatBOW, but each post's n-gram counts are scaled to a fixed length (L2
    norm = `scale`), as in TF-IDF logistic regression, so long posts do not get overconfident
    logits; and the lexicon model's findings enter as dense features (`lexicon_features`)
    with weights of their own, so they are never diluted by a long text.
    """
    ngrams: Model[list[Doc], tuple[Ints1d, Floats1d, Ints1d]] = Model(
        "normalised_ngrams", _ngrams_forward, attrs={"ngram_size": ngram_size, "scale": scale}
    )
    sparse = SparseLinear_v2(nO=nO, length=2 ** (length - 1).bit_length())
    lexicon: Model[list[Doc], Floats2d] = Model("lexicon_features", _lexicon_forward)
    model: Model[list[Doc], Floats2d] = chain(
        add(chain(ngrams, sparse), chain(lexicon, Linear(nO=nO, nI=N_LEXICON_FEATURES))), softmax_activation()
    )
    model.attrs["multi_label"] = False
    return model


def _ngrams_forward(
    model: Model[list[Doc], tuple[Ints1d, Floats1d, Ints1d]], docs: list[Doc], is_train: bool
) -> tuple[tuple[Ints1d, Floats1d, Ints1d], Callable[[Any], list[Any]]]:
    xp = model.ops.xp
    size = model.attrs["ngram_size"]
    scale = model.attrs["scale"]
    keys_out, vals_out = [], []
    for doc in docs:
        unigrams = cast(Ints1d, doc.to_array(ORTH))
        grams = [unigrams] + [model.ops.ngrams(n, unigrams) for n in range(2, size + 1)]
        keys, counts = xp.unique(xp.concatenate(grams), return_counts=True)
        values = counts.astype("f")
        norm = float(xp.sqrt((values * values).sum())) or 1.0
        keys_out.append(keys)
        vals_out.append(values * (scale / norm))
    lengths = model.ops.asarray1i([len(k) for k in keys_out])
    keys_all = xp.concatenate(keys_out) if keys_out else xp.zeros((0,), dtype="uint64")
    vals_all = model.ops.asarray1f(xp.concatenate(vals_out) if vals_out else xp.zeros((0,), dtype="f"))
    return (keys_all, vals_all, lengths), lambda d_output: []


def _lexicon_forward(
    model: Model[list[Doc], Floats2d], docs: list[Doc], is_train: bool
) -> tuple[Floats2d, Callable[[Floats2d], list[Doc]]]:
    rows = [doc.user_data.get(LEXICON_FEATURES) or (0.0,) * N_LEXICON_FEATURES for doc in docs]
    return model.ops.asarray2f(rows), lambda d_output: []


def _architecture(name: Architecture) -> dict[str, Any]:
    if name == "linear":
        return {"@architectures": "trendwatch.SentimentLinear.v1", "ngram_size": 2, "length": 262144, "scale": 5.0}
    return {
        "@architectures": "spacy.TextCatEnsemble.v2",
        "tok2vec": {
            "@architectures": "spacy.Tok2Vec.v2",
            "embed": {
                "@architectures": "spacy.MultiHashEmbed.v2",
                "width": 64,
                "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
                "rows": [5000, 1000, 2500, 1000],
                "include_static_vectors": False,
            },
            "encode": {
                "@architectures": "spacy.MaxoutWindowEncoder.v2",
                "width": 64,
                "window_size": 1,
                "maxout_pieces": 3,
                "depth": 2,
            },
        },
        "linear_model": {
            "@architectures": "spacy.TextCatBOW.v3",
            "exclusive_classes": True,
            "ngram_size": 2,
            "no_output_layer": False,
            "length": 262144,
        },
    }


@dataclass(frozen=True, slots=True)
class TrainSettings:
    """How to train. The defaults suit a few thousand to a few hundred thousand posts."""

    architecture: Architecture = "linear"
    epochs: int = 12
    patience: int = 3  # stop after this many epochs without a better dev score
    batch_size: int | None = None  # None: 32, or fewer for small data (at least ~100 updates an epoch)
    dropout: float = 0.2
    dev_fraction: float = 0.1  # of the training rows, used to pick the best epoch
    seed: int = 0
    lexicon_features: bool = True

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.patience < 1 or (self.batch_size is not None and self.batch_size < 1):
            raise ValueError("epochs, patience and batch_size must be at least 1")
        if not 0.0 <= self.dropout < 1.0 or not 0.0 < self.dev_fraction < 0.5:
            raise ValueError("dropout must be in [0, 1) and dev_fraction in (0, 0.5)")


@dataclass(frozen=True, slots=True)
class EpochReport:
    epoch: int
    loss: float
    dev_accuracy: float
    dev_macro_f1: float
    seconds: float
    best: bool


@dataclass(frozen=True, slots=True)
class TrainResult:
    path: Path
    labels: tuple[str, ...]
    train_rows: int
    dev_rows: int
    best_epoch: int
    epochs: tuple[EpochReport, ...]
    dev: Evaluation
    seconds: float


@dataclass(frozen=True, slots=True)
class TrainProgress:
    """Callbacks for a progress display: `batches(epoch, done, total)` after every batch and
    `epoch(report)` after every epoch."""

    batches: Callable[[int, int, int], None] = lambda epoch, done, total: None
    epoch: Callable[[EpochReport], None] = lambda report: None


_ELONGATED = re.compile(r"(\w)\1{2,}")


def feature_form(token: str) -> str:
    """How a token enters the classifier: lower case, Persian letter variants, diacritics and
    half-spaces unified (as the lexicon keys), elongations undone ("sooo" -> "soo",
    "خیلیییی" -> "خیلی"), so spelling variants share their weights."""
    key = fa_key(token)
    if _ELONGATED.search(key):
        key = _ELONGATED.sub(lambda m: m.group(1) if "\u0600" <= m.group(1) <= "\u06ff" else m.group(1) * 2, key)
    return key or token


class Featurizer:
    """Text -> the Doc the classifier reads: its normalised tokens, then the lexicon's evidence.

    The text is normalised exactly as the pipeline normalises a post (`nlp.normalise`), so a
    model sees the same spellings in training as in service."""

    def __init__(self, nlp: Language, lexicon: LexiconSentiment | None) -> None:
        self.nlp = nlp
        self.lexicon = lexicon

    def __call__(self, text: str, lang: str | None = None) -> Doc:
        text = normalise(text)  # as the pipeline's Doc text is (idempotent), in training and use
        doc = self.nlp.make_doc(text)
        if not len(doc):
            return doc
        tokens = [token.text for token in doc]
        words = [feature_form(token) for token in tokens]
        spaces = [bool(token.whitespace_) for token in doc]
        if self.lexicon is None:
            return Doc(self.nlp.vocab, words=words, spaces=spaces)
        scored = self.lexicon.scored(tokens, text, lang or script_language(text))
        score = scored.score(self.lexicon.calibration)
        positive = sum(1 for v in scored.valences if v > 0)
        negative = sum(1 for v in scored.valences if v < 0)
        band = round((score + 1.0) * 4)  # 0..8
        extra = [f"__lex{band}__", f"__lex{band}__"]
        extra += ["__lexpos__"] * min(positive, 3) + ["__lexneg__"] * min(negative, 3)
        spaces[-1] = True
        out = Doc(self.nlp.vocab, words=words + extra, spaces=spaces + [True] * (len(extra) - 1) + [False])
        adjusted = self.lexicon.calibration.adjust(scored.valences, scored.question)
        out.user_data[LEXICON_FEATURES] = (
            score,
            sum(v for v in adjusted if v > 0) / 4.0,
            sum(v for v in adjusted if v < 0) / 4.0,
            min(positive, 5) / 5.0,
            min(negative, 5) / 5.0,
            float(scored.question),
            float(scored.contrast >= 0),
            min(scored.emphasis, 2.0) / 2.0,
        )
        return out


def decide(cats: Mapping[str, float]) -> tuple[float, SentimentLabel]:
    """(score, label) from a classifier's class probabilities."""
    positive = cats.get("positive", 0.0)
    negative = cats.get("negative", 0.0)
    score = max(-1.0, min(1.0, positive - negative))
    if "neutral" in cats or len(cats) != 2:
        label = max(cats, key=cats.__getitem__)
        return score, label if label in SENTIMENT_LABELS else "neutral"
    if score >= NEUTRAL_MARGIN:
        return score, "positive"
    if score <= -NEUTRAL_MARGIN:
        return score, "negative"
    return score, "neutral"


@dataclass
class _Meta:
    format: int
    labels: list[str]
    settings: dict[str, Any]
    train_rows: int
    dev_rows: int
    best_epoch: int
    dev_accuracy: float
    dev_macro_f1: float
    trendwatch: str
    extra: dict[str, Any] = field(default_factory=dict)


def train(
    texts: Sequence[str],
    labels: Sequence[SentimentLabel],
    out: Path,
    settings: TrainSettings = TrainSettings(),
    progress: TrainProgress = TrainProgress(),
) -> TrainResult:
    """Train a classifier on (texts, labels) and save it to `out`; returns the training figures.

    A seeded `dev_fraction` of the rows is held back to pick the best epoch (and stop early);
    the saved model is the one from that epoch.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    classes = sorted(set(labels), key=SENTIMENT_LABELS.index)
    if len(classes) < 2:
        raise TrendwatchError(f"training needs at least two different labels; the data has only {classes}")
    _check_out(out)
    started = time.perf_counter()
    fix_random_seed(settings.seed)
    nlp = spacy.blank("xx")
    textcat = cast(TextCategorizer, nlp.add_pipe("textcat", config={"model": _architecture(settings.architecture)}))
    for label in classes:
        textcat.add_label(label)
    featurize = Featurizer(nlp, LexiconSentiment() if settings.lexicon_features else None)

    order = list(range(len(texts)))
    random.Random(settings.seed).shuffle(order)
    dev_count = max(1, round(len(order) * settings.dev_fraction))
    dev_idx, train_idx = order[:dev_count], order[dev_count:]
    if not train_idx:
        raise TrendwatchError("too few rows to train: need at least two")

    def example(i: int) -> Example:
        return Example.from_dict(featurize(texts[i]), {"cats": {c: float(c == labels[i]) for c in classes}})

    train_examples = [example(i) for i in train_idx]
    dev_docs = [featurize(texts[i]) for i in dev_idx]
    dev_gold = [labels[i] for i in dev_idx]
    nlp.initialize(lambda: train_examples)
    # spaCy's default optimiser, with parameter averaging: the averaged weights (used to pick
    # and save the best epoch) generalise better on small, noisy data
    optimizer = Adam(learn_rate=0.001, L2=0.01, L2_is_weight_decay=True, grad_clip=1.0, use_averages=True)

    reports: list[EpochReport] = []
    best: tuple[float, int, bytes] | None = None
    batch_size = settings.batch_size or max(4, min(32, len(train_examples) // 100))
    total_batches = (len(train_examples) + batch_size - 1) // batch_size
    rng = random.Random(settings.seed)
    for epoch in range(1, settings.epochs + 1):
        epoch_start = time.perf_counter()
        rng.shuffle(train_examples)
        losses: dict[str, float] = {}
        for done, batch in enumerate(minibatch(train_examples, size=batch_size), start=1):
            nlp.update(batch, sgd=optimizer, drop=settings.dropout, losses=losses)
            progress.batches(epoch, done, total_batches)
        with nlp.use_params(optimizer.averages):
            predicted = [decide(doc.cats)[1] for doc in textcat.pipe(d.copy() for d in dev_docs)]
            scores = evaluate(dev_gold, predicted)
            improved = best is None or scores.macro_f1 > best[0]
            if improved:
                best = (scores.macro_f1, epoch, nlp.to_bytes())
        report = EpochReport(
            epoch,
            losses.get("textcat", 0.0),
            scores.accuracy,
            scores.macro_f1,
            time.perf_counter() - epoch_start,
            improved,
        )
        reports.append(report)
        progress.epoch(report)
        assert best is not None
        if epoch - best[1] >= settings.patience:
            break

    assert best is not None
    nlp.from_bytes(best[2])
    final = evaluate(dev_gold, [decide(doc.cats)[1] for doc in textcat.pipe(d.copy() for d in dev_docs)])
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    meta = _Meta(
        format=FORMAT,
        labels=list(classes),
        settings=asdict(settings),
        train_rows=len(train_idx),
        dev_rows=len(dev_idx),
        best_epoch=best[1],
        dev_accuracy=final.accuracy,
        dev_macro_f1=final.macro_f1,
        trendwatch=__version__,
    )
    (out / META_FILE).write_bytes(orjson.dumps(asdict(meta), option=orjson.OPT_INDENT_2))
    return TrainResult(
        path=out,
        labels=tuple(classes),
        train_rows=len(train_idx),
        dev_rows=len(dev_idx),
        best_epoch=best[1],
        epochs=tuple(reports),
        dev=final,
        seconds=time.perf_counter() - started,
    )


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ModelError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / META_FILE).is_file():
        raise ModelError(f"{out} is not empty and is not a trendwatch sentiment model; choose another --out")


class TextcatSentiment:
    """A trained model directory, loaded for prediction."""

    def __init__(self, nlp: Language, meta: Mapping[str, Any], path: Path) -> None:
        self.nlp = nlp
        self.path = path
        self.meta = dict(meta)
        self.labels: tuple[str, ...] = tuple(meta["labels"])
        settings = meta.get("settings", {})
        self._textcat = cast(TextCategorizer, nlp.get_pipe("textcat"))
        self.featurize = Featurizer(nlp, LexiconSentiment() if settings.get("lexicon_features", True) else None)

    @classmethod
    def load(cls, path: Path) -> TextcatSentiment:
        meta_path = path / META_FILE
        if not path.is_dir():
            raise ModelError(f"sentiment model {path} does not exist (train one with `trendwatch nlp train`)")
        if not meta_path.is_file():
            raise ModelError(
                f"{path} is not a trendwatch sentiment model (no {META_FILE}); train one with `trendwatch nlp train`"
            )
        try:
            meta = orjson.loads(meta_path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise ModelError(f"{meta_path} is unreadable: {exc}") from None
        if meta.get("format") != FORMAT:
            raise ModelError(f"{path} has model format {meta.get('format')!r}; this trendwatch reads format {FORMAT}")
        try:
            nlp = spacy.load(path)
        except (OSError, ValueError) as exc:
            raise ModelError(f"{path}: cannot load the spaCy pipeline: {exc}") from None
        if "textcat" not in nlp.pipe_names:
            raise ModelError(f"{path}: the pipeline has no textcat component")
        return cls(nlp, meta, path)

    def probabilities(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[dict[str, float]]:
        languages = langs if langs is not None else [None] * len(texts)
        docs = [self.featurize(text, lang) for text, lang in zip(texts, languages, strict=True)]
        return [dict(doc.cats) for doc in self._textcat.pipe(docs, batch_size=256)]

    def predict(
        self, texts: Sequence[str], langs: Sequence[str | None] | None = None
    ) -> list[tuple[float, SentimentLabel]]:
        return [decide(cats) for cats in self.probabilities(texts, langs)]
