"""Fill each Whisper window with pieces: several short pieces (of one file or several) per window.

Whisper encodes 30 s whatever it is given: a 5-s clip costs the encoder pass of a 30-s
window, and on a CPU the encoder is most of the cost of a short clip (tiny.en: 0.2 s of
0.4 s). subvox already joins the speech of one file into pieces of up to 30 s cut at
pauses; here the batched scheduler does the same across pieces that are still short
(clips of 3-10 s, the tails of pieces Whisper stopped early in): they are laid one after
the other with ``GAP_S`` of silence between them into windows of at most ``WINDOW_S``,
decoded as one window, and the result is cut back at the gaps: every word goes to the
piece its middle lies in, a segment that spans a gap is split there, and times are
shifted back to the piece's own. A window Whisper stopped early in resumes in the piece
it stopped in; the pieces after that point are queued again, untouched.

Across files, packing is opt-in (``asr.pack_pieces``): a packed piece's words depend on its
window-mates, so a file's transcript would depend on which other files shared its job (an
interrupted run, a file added to a batch), which breaks subvox's byte-for-byte reruns. Off,
each piece has a window of its own. Only windows of one language, task and prompt are packed
(``WindowJob.key``). On 40 real clips of 2-10 s (tiny.en) packing took 40 windows down to 12
and the WER from 8.0 % to 5.2 %: more context, not less. A piece packed alone is decoded
exactly as before.

Within a file, the tails are packed by default (``asr.pack_tails``), in a way that depends
on nothing but the file: the scheduler holds the tails (and left-overs) of a group of a few
consecutive regions (``Tails``) until every window of that group is decoded, then lays them
out with ``first_fit`` in piece order; those windows are formed in advance
(``WindowJob.pack``) and ``choose`` keeps them whole. What Whisper leaves of those windows
is held again for the next round. So the windows, and the text, are the same whatever the
batch size and whatever files share the job. On the looped 10-min track (tiny.en) tails
held 11 windows of their own out of 35; packed, the track takes 28 windows, at the same
WER (3.60 %).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from subvox.asr.base import DecodeOptions, Segment, Word
from subvox.asr.windows import HOP, WindowJob, WindowResult, encoder_frames

SAMPLE_RATE = 16000
GAP_S = 1.0  # silence between packed pieces (longer than subvox's 0.5-s piece cuts)
WINDOW_S = 30.0


def seconds(job: WindowJob) -> float:
    """Audio left to decode in a job (from its seek on)."""
    return job.left() / SAMPLE_RATE


def choose(queue: Iterable[WindowJob], windows: int) -> list[list[WindowJob]]:
    """Up to ``windows`` windows of the jobs sharing the first job's key, in queue order,
    each job placed in the first window it still fits in (first fit); a window formed in
    advance (``WindowJob.pack``) is taken whole or not at all, and nothing joins it."""
    chosen: list[list[WindowJob]] = []
    room: list[float] = []
    formed: dict[tuple[int, int], int] = {}  # (file, pack) -> its window in ``chosen``
    skipped: set[tuple[int, int]] = set()
    key = None
    for job in queue:
        key = job.batch_key() if key is None else key
        if job.batch_key() != key:
            continue
        if job.pack is not None:  # its members lie together in the queue (Tails.release)
            mark = (id(job.owner), job.pack)
            if mark in formed:
                chosen[formed[mark]].append(job)
            elif mark not in skipped and len(chosen) < windows:
                formed[mark] = len(chosen)
                chosen.append([job])
                room.append(0.0)
            else:
                skipped.add(mark)
            continue
        need = WINDOW_S if job.alone or not job.options.pack_pieces else seconds(job)
        fit = next((i for i, r in enumerate(room) if need + GAP_S <= r), None)
        if fit is not None:
            chosen[fit].append(job)
            room[fit] -= need + GAP_S
        elif len(chosen) < windows:
            chosen.append([job])
            room.append(WINDOW_S - need)
        elif min(room) < 2 * GAP_S:
            break
    return chosen


def first_fit(jobs: Iterable[WindowJob]) -> list[list[WindowJob]]:
    """The windows for one file's held tails, from them alone: in piece order, each placed in
    the first window of its key it fits in; one that must go alone gets a window of its own."""
    windows: list[list[WindowJob]] = []
    room: list[float] = []
    for job in sorted(jobs, key=lambda j: (j.slot, j.offset, j.seek)):
        need = seconds(job)
        fit = None
        if not job.alone:
            fit = next((i for i, r in enumerate(room) if need + GAP_S <= r and windows[i][0].key() == job.key()), None)
        if fit is None:
            windows.append([job])
            room.append(0.0 if job.alone else WINDOW_S - need)
        else:
            windows[fit].append(job)
            room[fit] -= need + GAP_S
    return windows


def failed(result: WindowResult, options: DecodeOptions) -> bool:
    """Whether a packed window failed Whisper's checks (too repetitive, too improbable, or
    nothing heard): its pieces are then decoded alone, with the temperature fallback. A
    pack of similar clips ("Thank you." x 5) is repetitive as a whole but not each alone,
    and the window's figures are what the guards judge every segment by."""
    if not result.segments:
        return True
    seg = result.segments[0]  # avg_logprob, compression_ratio, no_speech_prob: the window's
    ratio, logprob, silence = (
        options.compression_ratio_threshold,
        options.log_prob_threshold,
        options.no_speech_threshold,
    )
    if ratio is not None and (seg.compression_ratio or 0.0) > ratio:
        return True
    quiet = silence is not None and (seg.no_speech_prob or 0.0) > silence
    return logprob is not None and (seg.avg_logprob or 0.0) < logprob and not quiet


def packed_frames(parts: list[WindowJob]) -> int:
    """The encoder length of the window ``pack`` makes of ``parts``: their samples and the gaps."""
    gaps = int(GAP_S * SAMPLE_RATE) * (len(parts) - 1)
    return encoder_frames(sum(p.left() for p in parts) + gaps, parts[0].options.trim_windows)


def pack(parts: list[WindowJob]) -> tuple[WindowJob, list[int]]:
    """The window to decode for ``parts`` and where each part starts in it (samples)."""
    if len(parts) == 1:
        return parts[0], [0]
    gap = np.zeros(int(GAP_S * SAMPLE_RATE), dtype=np.float32)
    pieces, starts, at = [], [], 0
    for part in parts:
        if pieces:
            pieces.append(gap)
            at += len(gap)
        starts.append(at)
        pieces.append(part.samples[part.seek * HOP :])
        at += len(pieces[-1])
    return WindowJob(np.concatenate(pieces), parts[0].options, packed=True), starts


def unpack(
    parts: list[WindowJob], starts: list[int], result: WindowResult
) -> tuple[list[tuple[WindowJob, WindowResult]], list[WindowJob]]:
    """Each part's own result (its times, its resume frame), and the parts the window never
    reached (Whisper stopped before them): those are to be decoded again."""
    if len(parts) == 1:
        return [(parts[0], result)], []
    bounds = [(s / SAMPLE_RATE, (s + p.left()) / SAMPLE_RATE) for p, s in zip(parts, starts, strict=True)]

    def owner(t: float) -> int:
        return min(
            range(len(parts)),
            key=lambda i: 0.0 if bounds[i][0] <= t <= bounds[i][1] else min(abs(t - b) for b in bounds[i]),
        )

    own: list[list[Segment]] = [[] for _ in parts]
    for seg in result.segments:
        groups: list[tuple[int, list[Word]]] = []
        for w in seg.words:
            i = owner((w.start + w.end) / 2)
            if groups and groups[-1][0] == i:
                groups[-1][1].append(w)
            else:
                groups.append((i, [w]))
        if not groups:
            groups = [(owner((seg.start + seg.end) / 2), [])]
        for i, found in groups:
            lo = bounds[i][0]
            shift = parts[i].seek * HOP / SAMPLE_RATE - lo
            first, last = parts[i].seek * HOP / SAMPLE_RATE, len(parts[i].samples) / SAMPLE_RATE  # piece times

            def clip(t: float, first: float = first, last: float = last, shift: float = shift) -> float:
                return min(max(t + shift, first), last)  # a word Whisper put partly in a gap: in its piece

            words = [Word(clip(w.start), clip(w.end), w.word, w.probability) for w in found]
            whole = len(groups) == 1
            start = clip(seg.start) if whole else words[0].start
            end = clip(seg.end) if whole else words[-1].end
            own[i].append(
                Segment(
                    id=0,
                    start=start,
                    end=max(start, end),
                    text=seg.text if whole else "".join(w.word for w in words).strip(),
                    words=words,
                    avg_logprob=seg.avg_logprob,
                    no_speech_prob=seg.no_speech_prob,
                    compression_ratio=seg.compression_ratio,
                    temperature=seg.temperature,
                )
            )
    stop = None if result.resume is None else result.resume * HOP / SAMPLE_RATE
    if stop is not None and stop <= bounds[0][0]:  # no progress at all: take the window as finished
        stop = None
    out, again = [], []
    for i, part in enumerate(parts):
        lo, hi = bounds[i]
        if stop is None or hi <= stop:
            out.append((part, WindowResult(own[i], None, part.last_speech)))
        elif lo >= stop:
            again.append(part)
        else:
            shift = part.seek * HOP / SAMPLE_RATE - lo
            resume = part.seek + round((stop - lo) * SAMPLE_RATE / HOP)
            if resume <= part.seek and not own[i]:  # stopped within its first frame: not reached
                again.append(part)
                continue
            out.append((part, WindowResult(own[i], resume, max(0.0, result.last_speech + shift))))
    return out, again


class Tails:
    """One file's tails, packed within it by group (a few consecutive regions): how many of a
    group's windows are queued or being decoded, the tails held until there are none, and the
    group whose pieces are being handed out (the groups before it have all their pieces out)."""

    def __init__(self) -> None:
        self.in_flight: dict[int, int] = {}
        self.held: dict[int, list[WindowJob]] = {}
        self.frontier: float = 0
        self.packs = 0

    def sent(self, job: WindowJob) -> None:
        if job.group >= 0:  # (a job of no group: tails not packed, nothing to count)
            self.in_flight[job.group] = self.in_flight.get(job.group, 0) + 1

    def back(self, job: WindowJob) -> None:
        if job.group >= 0:
            self.in_flight[job.group] -= 1

    def hold(self, job: WindowJob) -> None:
        """Keep a tail until its group's windows are all decoded (its features are made again,
        its window is formed anew)."""
        job.features, job.pack, job.frames = None, None, None
        self.held.setdefault(job.group, []).append(job)

    def release(self) -> list[WindowJob]:
        """The held tails of every complete group with nothing in flight, in numbered windows
        formed from them alone (``first_fit``): the same whatever else was decoded meanwhile."""
        out: list[WindowJob] = []
        for group in [g for g in self.held if g < self.frontier and not self.in_flight.get(g)]:
            for window in first_fit(self.held.pop(group)):
                self.packs += 1
                frames = packed_frames(window)
                for job in window:
                    job.pack, job.frames = self.packs, frames
                    self.sent(job)
                out.extend(window)
        return out
