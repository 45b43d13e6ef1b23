"""docs/cli.md carries every command's --help, generated and kept current."""

from __future__ import annotations

from pathlib import Path

from childshield.cli import _reference

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_cli_reference_is_current() -> None:
    stale = _reference.stale_commands(DOC.read_text())
    assert not stale, (
        f"docs/cli.md is stale for: {', '.join(stale)}. "
        f"Regenerate with `{_reference.REGENERATE}` and commit docs/cli.md."
    )


def test_reference_covers_every_verb_and_sub_verb() -> None:
    helps = _reference.command_helps()
    assert "childshield" in helps
    assert "childshield bank import" in helps  # a sub-verb of a group
    for path, text in helps.items():
        assert text.startswith(f"Usage: {path} "), path
        assert "\x1b[" not in text, f"colour codes in the help of {path}"


def test_a_changed_help_text_names_the_stale_command() -> None:
    helps = _reference.command_helps()
    doc = _reference.splice(DOC.read_text(), _reference.render(helps))
    assert _reference.stale_commands(doc, helps) == []
    edited = doc.replace("Usage: childshield bank import ", "Usage: childshield bank import --old ")
    assert _reference.stale_commands(edited, helps) == ["childshield bank import"]
    helps_with_new_verb = {**helps, "childshield newverb": "Usage: childshield newverb [OPTIONS]"}
    assert _reference.stale_commands(doc, helps_with_new_verb) == ["childshield newverb"]
    removed = dict(helps)
    del removed["childshield bank import"]
    assert _reference.stale_commands(doc, removed) == ["childshield bank import"]


def test_write_keeps_the_hand_written_exit_code_table() -> None:
    doc = DOC.read_text()
    table = doc[doc.index("## Exit codes") : doc.index(_reference.START)]
    regenerated = _reference.splice(doc, _reference.render())
    assert table in regenerated
    assert regenerated.count(_reference.START) == 1
    assert _reference.splice("# Command line\n", "X").endswith("## Reference\n\nX\n")
