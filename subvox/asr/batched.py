"""Decode the pieces of many files in shared batches: ``asr.batch_size`` windows at a time.

subvox cuts speech into pieces of at most 30 s at pauses, each decoded as one Whisper
window with no prompt from the text before it: the pieces are independent, which is what
batched decoding needs. The scheduler here keeps a queue of such windows (``WindowJob``)
fed by the files of a job, several open at once, and hands the backend ``batch_size`` of
them per call (``decode_windows``), so a dataset of short clips is decoded a batch of
clips at a time and a long file a batch of its pieces at a time. Pieces that are short
(clips, the tails of pieces Whisper stopped early in) are packed several to a window
first (subvox.asr.packing): on a CPU the 30-s encoder pass is most of a short clip's cost.

* Each file is a generator (``_Task._steps``) that reads one chunk at a time (as the
  sequential path does: memory stays flat in file length), plans its languages and yields
  its pieces; the scheduler pulls from the files only while the queue holds fewer than
  ``batch_size`` windows, so at most a batch of pieces (plus their continuations) is held.
* Language detection: a file that needs its windows classified yields them and waits;
  the waiting clips of all open files are classified in shared encoder batches.
* A window that ends before its piece does (Whisper stopped early, or a final segment
  left unfinished) comes back with the frame to resume at: the continuation is queued
  first, as are re-decoded left-overs (``pieces.left_over``), so files finish early. With
  ``pack_tails`` (the default) the continuations and left-overs of a group of regions are
  held until its windows are all decoded, then packed together (``packing.Tails``).
* Results go back to their own file and piece slot; a file is finished (guards, its
  transcript) as soon as its last window is decoded, and handed to the caller then.
* A file whose planning fails, or whose window fails when decoded alone, fails alone: a
  batch that raises is decoded again one window at a time.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from subvox.asr import packing
from subvox.asr.base import DecodeOptions, Segment, Transcriber, Transcript
from subvox.asr.guards import GuardOptions
from subvox.asr.pieces import (
    PIECE_TAIL_S,
    SAMPLE_RATE,
    LanguageOptions,
    Window,
    add_span,
    as_float,
    detect_all,
    finish,
    left_over,
    plan_chunks,
    plan_regions_steps,
    shift,
    speech_pieces,
)
from subvox.asr.windows import WindowJob, WindowResult
from subvox.media.ffmpeg import release_map

log = logging.getLogger("subvox")

TAIL_REGIONS = 3  # regions whose tails are packed together (tiny.en, 10-min track: 35 windows -> 28)
TRIM_FILES_S = 30.0  # files this short have their windows trimmed (trimmed_windows)


@dataclass
class FileRequest:
    """One file for ``transcribe_files``; ``key`` comes back with its result."""

    key: Any
    audio: Any = None  # 16 kHz mono: int16 PCM (e.g. a memory map) or float
    decode: DecodeOptions = field(default_factory=DecodeOptions)
    guards: GuardOptions | None = None
    lang_opts: LanguageOptions | None = None
    chunk_s: float | None = None
    regions: list[Window] | None = None  # reuse a previous pass's regions
    then: DecodeOptions | None = None  # a second pass (translate) over the first pass's regions
    error: BaseException | None = None  # the file could not be opened: reported, nothing decoded


@dataclass
class Finished:
    """A file's transcripts (one per pass), its share of the decoding time, or why it failed."""

    key: Any
    transcripts: list[Transcript]
    seconds: float
    error: BaseException | None = None


class _Task:
    """One pass over one file: its piece generator and what has come back so far."""

    def __init__(self, model: Transcriber, request: FileRequest, decode: DecodeOptions, done: list[Transcript]):
        self.model, self.request, self.decode, self.done = model, request, decode, done
        self.guards = request.guards or GuardOptions()
        self.lang_opts = request.lang_opts or LanguageOptions()
        self.regions = request.regions if done == [] else [dataclasses.replace(r) for r in done[0].regions]
        self.steps = self._steps()
        self.reply: Any = None  # what the generator is sent when it resumes
        self.parked: list[np.ndarray] | None = None  # clips waiting for language detection
        self.exhausted = False
        self.pending = 0  # windows queued or being decoded
        self.slots: list[list[Segment]] = []
        self.planned: list[Window] = []
        self.spans: list[dict[str, Any]] = []
        self.seconds = 0.0
        self.tails = packing.Tails()  # its tails, packed per TAIL_REGIONS regions
        self.trim = trimmed_windows(model, decode) and len(request.audio) <= TRIM_FILES_S * SAMPLE_RATE

    def _steps(self) -> Generator[Any, Any, None]:
        audio, decode = self.request.audio, self.decode
        if self.regions is not None:
            for r in self.regions:
                samples = as_float(audio[r.start : r.end])
                release_map(audio)
                yield from self._region(r, samples)
            self.tails.frontier = math.inf
            return
        for a, b in plan_chunks(audio, self.request.chunk_s):
            samples = as_float(audio[a:b])
            regions = yield from plan_regions_steps(self.model.multilingual, samples, decode, self.lang_opts)
            for r in regions:
                region = Window(a + r.start, a + r.end, r.language, r.probability)
                yield from self._region(region, samples[r.start : r.end])
            del samples
            release_map(audio)
        self.tails.frontier = math.inf

    def _region(self, r: Window, samples: np.ndarray) -> Generator[Any, Any, None]:
        """A region's pieces as jobs (each a copy: the chunk is freed once it is cut)."""
        options = dataclasses.replace(self.decode, language=r.language or None)
        pieces = speech_pieces(samples, options)
        if not r.language:  # no speech found while planning: the first piece decides (decode_region)
            if pieces:
                [(r.language, r.probability)] = yield [samples[pieces[0][0] : pieces[0][1]]]
            else:
                r.language, r.probability = ("und", 0.0) if self.model.multilingual else ("en", 1.0)
        self.planned.append(r)
        add_span(self.spans, r)
        piece = dataclasses.replace(
            options, vad=False, language=r.language, stop_tail_s=PIECE_TAIL_S, trim_windows=self.trim
        )
        group = (len(self.planned) - 1) // TAIL_REGIONS if piece.pack_tails and not piece.pack_pieces else -1
        self.tails.frontier = max(self.tails.frontier, group)
        for a, b in pieces:
            self.slots.append([])
            slot = len(self.slots) - 1
            yield WindowJob(samples[a:b].copy(), piece, owner=self, slot=slot, offset=a, base=r.start, group=group)

    def follow_up(self, job: WindowJob, result: WindowResult) -> WindowJob | None:
        """The next window of ``job``'s piece: the walk's continuation, a left-over, or None."""
        last_end = result.segments[-1].end if result.segments else job.last_end
        if result.resume is not None and result.resume > job.seek:
            options = dataclasses.replace(job.options, initial_prompt=None)  # later windows: no prompt
            return dataclasses.replace(
                job, options=options, seek=result.resume, last_speech=result.last_speech, last_end=last_end, frames=None
            )
        n = len(job.samples)
        resume = left_over(job.samples, last_end, 0, n, job.options)
        if resume >= n:
            return None
        piece = dataclasses.replace(job.options, initial_prompt=self.decode.initial_prompt)
        return WindowJob(
            job.samples[resume:].copy(),
            piece,
            owner=self,
            slot=job.slot,
            offset=job.offset + resume,
            base=job.base,
            group=job.group,
        )

    def transcript(self) -> Transcript:
        segments = [s for slot in self.slots for s in slot]
        duration = len(self.request.audio) / SAMPLE_RATE
        return finish(self.model, self.decode, self.guards, duration, self.planned, segments, self.spans)


def trimmed_windows(model: Transcriber, options: DecodeOptions) -> bool:
    """Whether short windows are encoded shorter (subvox.asr.windows): where the backend can, not
    with ``pack_pieces`` (packed windows are full), and with ``auto`` for English-only models only
    (measured: no worse with tiny.en; with base, worse on short clips in other languages). Only
    files of at most ``TRIM_FILES_S`` are (``_Task``): a long file's few short windows (tails)
    saved less encoder time than their own batches cost in beam search (10-min track, batch 4,
    same machine: 15 ``generate`` calls instead of 9, 14.9 s instead of 12.6)."""
    wanted = options.trim_windows is True or (options.trim_windows == "auto" and not model.multilingual)
    return wanted and not options.pack_pieces and getattr(model, "trims_windows", False)


class Batcher:
    """Runs many files' windows through ``model.decode_windows`` ``batch_size`` at a time.

    ``sequential(request)`` transcribes a request the batches cannot take (e.g. with the
    previous-text prompt on) on its own, in turn.
    """

    def __init__(
        self,
        model: Transcriber,
        batch_size: int,
        requests: Iterator[FileRequest],
        sequential: Callable[[FileRequest], list[Transcript]],
        batchable: Callable[[FileRequest], bool],
    ) -> None:
        self.model, self.batch_size, self.requests = model, max(1, batch_size), requests
        self.sequential, self.batchable = sequential, batchable
        self.max_open = 8 * self.batch_size  # files open at once (a 30-s window holds several short ones)
        self.tasks: list[_Task] = []
        self.queue: deque[WindowJob] = deque()
        self.finished: deque[Finished] = deque()
        self.more = True

    def run(self) -> Iterator[Finished]:
        while True:
            while self.finished:
                yield self.finished.popleft()
            self._fill()
            if self.finished:
                continue
            waiting = [t for t in self.tasks if t.parked is not None]
            full = self._queued_s() >= self.batch_size * packing.WINDOW_S
            if waiting and (not full or self._waiting() >= self.batch_size):
                self._detect(waiting)
            elif self.queue:
                self._decode()
            elif not self.tasks and not self.more:
                return
            elif not self.tasks:
                continue
            else:  # cannot happen: every open task is runnable, waiting, or has queued windows
                raise RuntimeError("batched decoding stalled")

    def _fill(self) -> None:
        """Pull pieces from the open files (opening more) until a batch of windows is queued:
        ``batch_size`` windows' worth of audio (short pieces are packed several to a window)."""
        while self._queued_s() < self.batch_size * packing.WINDOW_S and not self.finished:
            task = next((t for t in self.tasks if not t.exhausted and t.parked is None), None)
            if task is not None:
                self._advance(task)
            elif len(self.tasks) >= self.max_open or self._waiting() >= self.batch_size or not self._open():
                return  # (files waiting for a detection batch hold a chunk each: classify first)

    def _queued_s(self) -> float:
        return sum(packing.seconds(j) + packing.GAP_S for j in self.queue)

    def _waiting(self) -> int:
        return sum(len(t.parked or []) for t in self.tasks)

    def _open(self) -> bool:
        if not self.more:
            return False
        try:
            request = next(self.requests)
        except StopIteration:
            self.more = False
            return False
        if request.error is not None:
            self.finished.append(Finished(request.key, [], 0.0, request.error))
        elif not self.batchable(request):
            t0 = time.perf_counter()
            try:
                done = self.sequential(request)
            except Exception as exc:
                self.finished.append(Finished(request.key, [], time.perf_counter() - t0, exc))
            else:
                self.finished.append(Finished(request.key, done, time.perf_counter() - t0))
        else:
            self.tasks.append(_Task(self.model, request, request.decode, []))
        return True

    def _advance(self, task: _Task) -> None:
        t0 = time.perf_counter()
        try:
            item = task.steps.send(task.reply)
        except StopIteration:
            task.exhausted = True
            self.queue.extendleft(reversed(task.tails.release()))
            self._check(task)
        except Exception as exc:
            self._fail(task, exc)
        else:
            task.reply = None
            self.queue.extendleft(reversed(task.tails.release()))  # a group may have just been completed
            if isinstance(item, WindowJob):
                task.pending += 1
                task.tails.sent(item)
                self.queue.append(item)
            else:
                task.parked = item
        finally:
            task.seconds += time.perf_counter() - t0

    def _detect(self, waiting: list[_Task]) -> None:
        """Classify the clips of every waiting file, ``batch_size`` clips per encoder batch."""
        clips = [c for t in waiting for c in t.parked or []]
        t0 = time.perf_counter()
        try:
            found = detect_all(self.model, clips, self.batch_size)
        except Exception:
            found = None
        share = (time.perf_counter() - t0) / max(1, len(clips))
        for t in waiting:
            n = len(t.parked or [])
            t.seconds += share * n
            if found is None:  # decode each file's clips alone: only the culprit fails
                try:
                    t.reply = detect_all(self.model, t.parked or [], self.batch_size)
                except Exception as exc:
                    self._fail(t, exc)
                    continue
            else:
                t.reply, found = found[:n], found[n:]
            t.parked = None

    def _decode(self) -> None:
        """Decode up to ``batch_size`` windows of the queue head's key, each filled with pieces."""
        windows = packing.choose(self.queue, self.batch_size)
        chosen = {id(j) for w in windows for j in w}
        self.queue = deque(j for j in self.queue if id(j) not in chosen)
        t0 = time.perf_counter()
        try:
            packed = [packing.pack(w) for w in windows]
            results: list[Any] = list(self.model.decode_windows([job for job, _ in packed]))  # type: ignore[attr-defined]
        except Exception:  # again one window at a time, a pack across files one piece per window (a piece
            # that fails fails its file alone); a window formed from one file's tails stays whole, so its
            # windows never depend on what shared the batch (or on a batch too big for memory)
            windows = [p for w in windows for p in ([w] if w[0].pack is not None else [[j] for j in w])]
            packed = [packing.pack(w) for w in windows]
            results = []
            for job, _ in packed:
                try:
                    results.extend(self.model.decode_windows([job]))  # type: ignore[attr-defined]
                except Exception as exc:
                    results.append(exc)
        share = (time.perf_counter() - t0) / len(chosen)
        followers: list[WindowJob] = []

        def follow(job: WindowJob) -> None:
            if job.group >= 0:
                job.owner.tails.hold(job)
            else:
                followers.append(job)

        for parts, (_, starts), result in zip(windows, packed, results, strict=True):
            for part in parts:
                part.owner.tails.back(part)
            if isinstance(result, BaseException):
                done, again = [(parts[0], result)], []
            elif len(parts) > 1 and packing.failed(result, parts[0].options):
                done, again = [], [dataclasses.replace(p, alone=True) for p in parts]
            else:
                done, again = packing.unpack(parts, starts, result)
            for job in again:  # the window stopped before them: decoded again, untouched
                follow(job)
            for job, part in done:
                nxt = self._complete(job, part, share)
                if nxt is not None:
                    follow(nxt)
        for task in {id(j.owner): j.owner for w in windows for j in w}.values():
            if task in self.tasks:
                followers.extend(task.tails.release())
        self.queue.extendleft(reversed(followers))  # continuations first: files finish early

    def _complete(self, job: WindowJob, result: WindowResult | BaseException, share: float) -> WindowJob | None:
        """File a window's result with its piece; returns the piece's next window, if any."""
        task: _Task = job.owner
        task.seconds += share
        task.pending -= 1
        if task not in self.tasks:  # its file failed meanwhile
            return None
        if isinstance(result, BaseException):
            self._fail(task, result)
            return None
        try:
            nxt = task.follow_up(job, result)
            shift(result.segments, job.offset / SAMPLE_RATE)
            shift(result.segments, job.base / SAMPLE_RATE)
            task.slots[job.slot].extend(result.segments)
        except Exception as exc:
            self._fail(task, exc)
            return None
        if nxt is None:
            self._check(task)
            return None
        task.pending += 1
        return nxt

    def _check(self, task: _Task) -> None:
        """Finish a task whose pieces are all decoded; start its second pass if it has one."""
        if not task.exhausted or task.pending:
            return
        try:
            done = [*task.done, task.transcript()]
        except Exception as exc:
            self._fail(task, exc)
            return
        index = self.tasks.index(task)
        if task.request.then is not None and len(done) == 1:
            nxt = _Task(self.model, task.request, task.request.then, done)
            nxt.seconds = task.seconds
            self.tasks[index] = nxt
            return
        del self.tasks[index]
        self.finished.append(Finished(task.request.key, done, task.seconds))

    def _fail(self, task: _Task, exc: BaseException) -> None:
        if task not in self.tasks:
            return
        self.tasks.remove(task)
        self.queue = deque(j for j in self.queue if j.owner is not task)
        task.steps.close()
        self.finished.append(Finished(task.request.key, [], task.seconds, exc))
