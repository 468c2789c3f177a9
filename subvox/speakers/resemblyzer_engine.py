"""The offline CPU diarizer: Silero VAD, Resemblyzer embeddings, clustering, resegmentation.

All weights ship inside wheels (Silero inside faster-whisper, GE2E inside resemblyzer);
nothing is downloaded. The pipeline, each stage streaming over the samples:

1. speech regions from Silero probabilities (``vad``);
2. 1.6-s windows every 0.4 s over speech, one 256-d embedding each (``embed``);
3. the number of speakers and a first labelling by agglomerative clustering (``cluster``);
4. frame-level labels by Viterbi resegmentation with re-estimated centroids, plus a second
   speaker where the overlap evidence holds, and each speaker's short pauses kept in their
   turn (``resegment``).

Memory: the samples are read one block or window at a time and released; what is kept is
a probability per 32 ms, 256 floats per window and a few numbers per 50-ms frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from subvox.speakers import resegment
from subvox.speakers.audio import SAMPLE_RATE
from subvox.speakers.base import DiarizationOptions, Turn
from subvox.speakers.cluster import first_appearance, speaker_centroids
from subvox.speakers.embed import SpeakerEncoder, Windows, embed_windows, plan_windows
from subvox.speakers.vad import speech_probabilities, speech_regions


@dataclass
class Analysis:
    """What the expensive stages found: speech regions and embedded windows (kept apart from
    labelling so a benchmark can try labelling options without re-embedding)."""

    duration: float
    regions: list[tuple[float, float]]
    windows: Windows | None


class ResemblyzerDiarizer:
    """Silero VAD + Resemblyzer embeddings + clustering + resegmentation, on the CPU."""

    name = "resemblyzer"

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads
        self._encoder: SpeakerEncoder | None = None

    def encoder(self, threads: int = 1) -> SpeakerEncoder:
        if self._encoder is None:
            self._encoder = SpeakerEncoder(self._threads or threads)
        return self._encoder

    def diarize(self, samples: np.ndarray, options: DiarizationOptions | None = None) -> list[Turn]:
        """Turns of 16-kHz mono ``samples`` (int16, e.g. ``open_pcm``'s memory map, or float32)."""
        options = options or DiarizationOptions()
        return self.assign(self.analyse(samples, options), options)

    def analyse(self, samples: np.ndarray, options: DiarizationOptions) -> Analysis:
        """Speech regions and window embeddings."""
        if samples.ndim != 1:
            raise ValueError(f"expected mono samples (1-D), got shape {samples.shape}")
        duration = len(samples) / SAMPLE_RATE
        probs = speech_probabilities(samples)
        regions = speech_regions(
            probs,
            onset=options.vad_onset,
            offset=options.vad_offset,
            min_speech_s=options.min_speech_s,
            min_silence_s=options.min_silence_s,
            pad_s=options.speech_pad_s,
            duration=duration,
        )
        plan = plan_windows(regions, options.window_s, options.hop_s, options.min_window_s)
        if len(plan) < 2:  # too little speech to tell voices apart
            return Analysis(duration, regions, None)
        windows = embed_windows(samples, plan, self.encoder(options.threads))
        return Analysis(duration, regions, windows)

    @staticmethod
    def assign(analysis: Analysis, options: DiarizationOptions) -> list[Turn]:
        """Speaker labels for an analysis: clustering, then resegmentation and overlap."""
        regions, windows = analysis.regions, analysis.windows
        if not regions:
            return []
        if windows is None:
            return [Turn(s, e, "S1") for s, e in regions]
        centroids = speaker_centroids(
            windows,
            threshold=options.threshold,
            smoothing=options.smoothing,
            num_speakers=options.num_speakers,
            min_speakers=options.min_speakers,
            max_speakers=options.max_speakers,
        )
        n_frames = int(np.ceil(analysis.duration / resegment.STEP)) + 1
        mask = resegment.speech_mask(regions, n_frames)
        keep = options.num_speakers or options.min_speakers
        frames, scores, centroids = resegment.refine(
            windows,
            centroids,
            mask,
            temperature=options.temperature,
            switch=options.switch_penalty,
            iterations=options.iterations,
            min_speaker_s=0.0 if options.num_speakers else options.min_speaker_s,
            keep=keep,
        )
        second = np.full(n_frames, -1, dtype=np.int64)
        if options.overlap:
            second = resegment.overlap_labels(
                scores,
                frames,
                options.overlap_margin,
                options.overlap_floor,
                min_frames=max(1, round(options.overlap_min_s / resegment.STEP)),
                centroids=centroids,
                excess=options.overlap_excess,
            )
        turns = resegment.turns_from_frames(frames, second, regions)
        return named(resegment.bridge_pauses(turns, options.bridge_pause_s))


def named(turns: list[tuple[float, float, int]]) -> list[Turn]:
    """Turns with speakers S1, S2, ... in order of first appearance, sorted by time."""
    turns = sorted(turns, key=lambda t: (t[0], t[1], t[2]))
    order = first_appearance(np.array([t[2] for t in turns], dtype=np.int64)) if turns else np.zeros(0, np.int64)
    return sorted(
        (Turn(round(float(s), 3), round(float(e), 3), f"S{k + 1}") for (s, e, _), k in zip(turns, order, strict=True)),
        key=lambda t: (t.start, t.end, t.speaker),
    )
