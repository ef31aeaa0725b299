"""Sentiment: a score in [-1, 1], a label (negative / neutral / positive) and per-brand scores.

Two spaCy components, both registered when this package is imported:

- `trendwatch_sentiment_lexicon` (default, `nlp.sentiment: lexicon`): English on VADER's lexicon
  and rules (`english.py`), Persian on our own lexicon and rules (`persian.py`), brand names and
  handles never counted, per-brand attribution in multi-brand posts (`attribution.py`);
- `trendwatch_sentiment_textcat` (`nlp.sentiment: textcat`, `nlp.model: DIR`): a spaCy text
  classifier trained on the user's labelled posts with `trendwatch nlp train` (`textcat.py`).

`trendwatch nlp eval` measures either on labelled posts (`dataset.py`, `evaluation.py`).
"""

from nlp.sentiment import components as components  # registers the spaCy factories
