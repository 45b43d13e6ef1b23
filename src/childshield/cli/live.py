"""``childshield live``: watch a live stream and print an alert when a frame matches a bank."""

from __future__ import annotations

import typer

from childshield.cli._output import DbOption, JsonOption, emit, err_console, fail
from childshield.errors import ChildshieldError
from childshield.exitcodes import ExitCode


def live(
    source: str = typer.Argument(
        ...,
        help="What FFmpeg can open live: rtmp://, rtsp://, http(s):// (HLS), srt://, a file "
        "(--follow for one still being written), a FIFO, or - for standard input.",
    ),
    bank: str | None = typer.Option(None, "--bank", help="Only this bank (default: all)."),
    frame_interval: float = typer.Option(
        1.0, "--frame-interval", min=0.0, help="Seconds of stream between hashed frames."
    ),
    stall_timeout: float = typer.Option(
        10.0, "--stall-timeout", min=0.1, help="Seconds without data before a stall."
    ),
    reconnects: int = typer.Option(
        3, "--reconnects", min=0, help="Reopen a network source this often after a stall."
    ),
    follow: bool = typer.Option(False, "--follow", help="The file is still growing."),
    input_format: str | None = typer.Option(
        None, "--format", help="FFmpeg demuxer (e.g. mpegts) when it cannot be guessed."
    ),
    db: str | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Sample a live stream, match frames against image and video banks, print alerts.

    Every event is one line (JSON with --json): started, alert, stalled, reconnecting, error,
    ended. Alerts are leads for human review, never decisions. Exit status: 0 at the end of
    the stream, 1 if it ended on a stall or error.
    """
    from childshield.matching import Matcher
    from childshield.matching.video_search import VideoMatcher
    from childshield.scan.live import LiveMonitor, LiveSettings
    from childshield.store import open_database

    monitor: LiveMonitor | None = None
    try:
        matcher = VideoMatcher(Matcher(open_database(db)), bank=bank)
        settings = LiveSettings(
            frame_interval=frame_interval,
            stall_timeout=stall_timeout,
            reconnects=reconnects,
            follow=follow,
            input_format=input_format,
        )
        monitor = LiveMonitor(source, matcher, settings)
        final: dict[str, object] = {}
        for event in monitor.events():
            final = event
            if as_json:
                emit(event)
            else:
                _print(event)
    except ChildshieldError as exc:
        raise fail(exc, as_json=as_json) from None
    except KeyboardInterrupt:
        if monitor is not None:
            monitor.stop()
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    if final.get("reason") not in {"end-of-stream", "stopped"}:
        raise typer.Exit(int(ExitCode.ITEM_ERRORS))


def _print(event: dict[str, object]) -> None:
    kind = event["event"]
    if kind == "alert":
        matches = event["matches"]
        assert isinstance(matches, list)
        names = ", ".join(f"{m['bank']}#{m['indicator']} ({m['signal']})" for m in matches)
        err_console.print(
            f"[bold red]ALERT[/] at {event['stream_time']} s (frame {event['frame']}): {names}",
            highlight=False,
        )
    else:
        details = {k: v for k, v in event.items() if k not in {"event", "source"}}
        err_console.print(f"{kind}: {details}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("live")(live)
