"""The one loop every periodic task runs in, and the files a failed commit must not leave."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
from pathlib import Path

import pytest

from common.filestore import FileStore
from common.periodic import periodic, repeat


async def test_a_failed_round_is_logged_and_the_next_one_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[int] = []
    stop = asyncio.Event()

    async def work() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise ConnectionError("the hub is away")
        if len(rounds) == 3:
            stop.set()

    with caplog.at_level(logging.ERROR, logger="qiaolink.periodic"):
        await asyncio.wait_for(repeat(work, interval_s=0.01, stop=stop, what="the link"), 5)
    assert rounds == [0, 1, 2]
    assert [r.getMessage() for r in caplog.records] == ["the link failed; trying again next round"]


async def test_a_full_round_goes_again_at_once_and_the_others_wait() -> None:
    loop = asyncio.get_running_loop()
    times: list[float] = []
    stop = asyncio.Event()

    async def work() -> bool:
        times.append(loop.time())
        if len(times) == 4:
            stop.set()
        return len(times) <= 2  # two full batches, then a partial one

    await asyncio.wait_for(repeat(work, interval_s=2.0, stop=stop, what="relay"), 10)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] < 1 and gaps[1] < 1  # straight on after each full batch
    assert gaps[2] >= 1.9  # the partial batch waited its interval


async def test_work_done_at_start_up_waits_its_first_interval() -> None:
    calls = 0

    async def work() -> None:
        nonlocal calls
        calls += 1

    async with periodic(work, interval_s=60, what="tree heads", wait_first=True):
        await asyncio.sleep(0.05)
    assert calls == 0


async def test_the_stop_lets_a_round_in_flight_finish_within_the_grace() -> None:
    finished = asyncio.Event()
    started = asyncio.Event()

    async def work() -> None:
        started.set()
        await asyncio.sleep(0.1)
        finished.set()

    async with periodic(work, interval_s=60, what="a delivery", grace_s=5):
        await started.wait()
    assert finished.is_set()


async def test_a_round_past_its_grace_is_cancelled() -> None:
    started = asyncio.Event()
    cancelled = False

    async def work() -> None:
        nonlocal cancelled
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled = True
            raise

    async with periodic(work, interval_s=60, what="a stuck send", grace_s=0.05):
        await started.wait()
    assert cancelled


async def test_a_kept_file_goes_when_its_commit_fails(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    there_before = b"signed yesterday"
    store.put(hashlib.sha256(there_before).hexdigest(), there_before)
    with pytest.raises(RuntimeError):
        async with store.kept(b"signed now") as new:
            assert store.get(new) == b"signed now"
            raise RuntimeError("the row moved meanwhile")
    with pytest.raises(FileNotFoundError):
        store.get(new)
    with pytest.raises(RuntimeError):  # a file that was there already stays
        async with store.kept(there_before):
            raise RuntimeError("lost")
    assert store.get(hashlib.sha256(there_before).hexdigest()) == there_before


async def test_files_written_for_a_commit_that_lands_stay(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    async with store.keeping() as written:
        key = hashlib.sha256(b"attachment").hexdigest()
        store.put(key, b"attachment")
        written.append(key)
    assert store.get(key) == b"attachment"
    with pytest.raises(ValueError):
        async with store.keeping() as written:
            other = hashlib.sha256(b"second").hexdigest()
            store.put(other, b"second")
            written.append(other)
            raise ValueError("refused")
    with pytest.raises(FileNotFoundError):
        store.get(other)
    assert store.get(key) == b"attachment"
