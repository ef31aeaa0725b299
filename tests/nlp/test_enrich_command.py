"""`trendwatch enrich` (trendwatch/service/commands/enrich.py), run through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from trendwatch.service.cli import app
from trendwatch.service.commands.enrich import parse_brand

BRANDS = ["-b", "Digikala=دیجی‌کالا|@digikala|#digikala", "-b", "Snapp=اسنپ"]


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["enrich", *args])


def plain(output: str) -> str:
    """CLI output without rich's box drawing and line wrapping."""
    return " ".join(output.replace("│", " ").split())


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_csv_with_brand_options(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text(
        'id,text\n1,"Digikala delivered late #digikala"\n2,"سفارشم از ديجي كالا دیر رسید"\n'
        '3,"multi\nline about Snapp"\n4,"nothing here"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = run("--input", str(source), "--out", str(out), *BRANDS)
    assert result.exit_code == 0, result.output
    rows = lines(out)
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["brands"] for r in rows] == [["Digikala"], ["Digikala"], ["Snapp"], []]
    assert [r["lang"] for r in rows] == ["en", "fa", "en", "en"]
    first = rows[0]
    assert first["hashtags"] == ["digikala"]
    assert first["sentiment_label"] in ("negative", "neutral", "positive")
    assert -1 <= first["sentiment"] <= 1
    assert set(first) >= {
        "id",
        "lang",
        "brands",
        "sentiment",
        "sentiment_label",
        "brand_sentiment",
        "topics",
        "hashtags",
    }
    assert "4 rows enriched, 0 skipped" in result.output


def test_bad_jsonl_rows_are_reported_with_their_line_and_skipped(tmp_path: Path) -> None:
    source = tmp_path / "export.jsonl"
    good_and_bad = (
        '{"id": "a", "text": "Snapp was great"}\n'
        "{bad json\n"
        "[1, 2]\n"
        '{"id": "d"}\n'
        '{"id": "e", "text": 7}\n'
        "\n"
        '{"text": "دیجی‌کالا عالیه"}\n'
    )
    source.write_bytes(good_and_bad.encode() + b'{"text": "\xff\xfe broken utf-8"}\n')
    out = tmp_path / "out.jsonl"
    result = run("-i", str(source), "-o", str(out), *BRANDS)
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["brands"]) for r in lines(out)] == [("a", ["Snapp"]), ("7", ["Digikala"])]
    assert "line 2: skipped: not valid JSON" in result.output
    assert "line 3: skipped: a JSON list, not an object" in result.output
    assert "line 4: skipped: no 'text' key" in result.output
    assert "line 5: skipped: 'text' is not a string (got int)" in result.output
    assert "line 8: skipped: not valid JSON" in result.output
    assert "2 rows enriched, 5 skipped" in result.output


def test_bad_csv_rows_are_reported_and_skipped(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text("id,text,author\n1,hello Snapp,a\n2,too,many,fields,here\n3\n4,ok,b\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("-i", str(source), "-o", str(out), *BRANDS)
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in lines(out)] == ["1", "4"]
    assert "line 3: skipped: 5 fields where the header has 3" in result.output
    assert "line 4: skipped: 1 fields where the header has 3" in result.output


def test_custom_columns_tsv_and_line_numbers_as_ids(tmp_path: Path) -> None:
    source = tmp_path / "export.tsv"
    source.write_text("body\tauthor\nسلام اسنپ\tx\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("-i", str(source), "-o", str(out), "--text-col", "body", *BRANDS)
    assert result.exit_code == 0, result.output
    assert lines(out)[0]["id"] == "2"
    assert lines(out)[0]["brands"] == ["Snapp"]


def test_brands_from_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("brand:\n  name: Torob\n  aliases: [ترب]\ncompetitors:\n  - name: Basalam\n", encoding="utf-8")
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "text": "ترب بهتر از basalam است"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = run("-c", str(config), "-i", str(source), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert lines(out)[0]["brands"] == ["Torob", "Basalam"]


def test_a_missing_text_column_is_a_clear_error(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text("id,message\n1,hi\n", encoding="utf-8")
    result = run("-i", str(source), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 2
    assert "no column 'text' in the header; columns: id, message" in plain(result.output)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-i", "missing.csv", "-o", "out.jsonl"], "missing.csv is not a readable file"),
        (["-i", "{src}", "-o", "out.jsonl", "-c", "x.yaml", "-b", "A"], "use either --config or --brand"),
        (["-i", "{src}", "-o", "out.jsonl", "-b", "=alias"], "'=alias' has no brand name"),
        (["-i", "{src}", "-o", "no/such/dir/out.jsonl"], "does not exist"),
        (["-i", "{odd}", "-o", "out.jsonl"], "cannot tell the format of in.xlsx"),
    ],
)
def test_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.csv").write_text("text\nhi\n", encoding="utf-8")
    (tmp_path / "in.xlsx").write_text("x", encoding="utf-8")
    result = run(*[a.format(src="in.csv", odd="in.xlsx") for a in args])
    assert result.exit_code == 2
    assert message in plain(result.output)


def test_a_broken_config_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("brand:\n  aliases: [x]\n", encoding="utf-8")
    (tmp_path / "in.csv").write_text("text\nhi\n", encoding="utf-8")
    result = run("-c", str(config), "-i", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code != 0
    assert "brand.name" in str(result.exception) + result.output


def test_all_rows_bad_exits_non_zero(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("nope\n", encoding="utf-8")
    result = run("-i", str(source), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 1
    assert "0 rows enriched, 1 skipped" in result.output


def test_parse_brand() -> None:
    brand = parse_brand("Digikala=دیجی‌کالا| Digi Kala |@digikala|#digikala", finglish=True)
    assert (brand.name, brand.aliases, brand.handles, brand.hashtags) == (
        "Digikala",
        ["دیجی‌کالا", "Digi Kala"],
        ["@digikala"],
        ["#digikala"],
    )
    assert brand.finglish
    assert parse_brand("Nike").aliases == []
    with pytest.raises(typer.BadParameter):
        parse_brand(" =x")


def test_output_to_stdout(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "x", "text": "Snapp!"}\n', encoding="utf-8")
    result = run("-i", str(source), "-o", "-", "-b", "Snapp")
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(s) for s in result.stdout.splitlines() if s.startswith("{")]
    assert (line["id"], line["brands"]) == ("x", ["Snapp"])
    assert "1 rows enriched" in result.stderr
