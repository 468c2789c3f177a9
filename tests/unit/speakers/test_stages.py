"""The diarizer's stages on synthetic inputs (no models): VAD hysteresis, windows, clustering,
Viterbi resegmentation, overlap, turn building, naming, mel front end, memory release."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from subvox.media.ffmpeg import open_pcm, release_map
from subvox.speakers import resegment
from subvox.speakers.audio import read
from subvox.speakers.cluster import cluster, first_appearance, smoothed, speaker_centroids
from subvox.speakers.embed import Windows, mel_basis, mel_frames, plan_windows
from subvox.speakers.resemblyzer_engine import named
from subvox.speakers.simulate import conversation, utterances
from subvox.speakers.vad import FRAME_S, speech_regions

RNG = np.random.default_rng(0)


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def voices(n_speakers, per, noise=0.7, dim=256):
    """Embeddings around ``n_speakers`` random directions, ``per`` windows each, in turn order
    (noise 0.7: a window scores about 0.8 against its voice, as real ones do)."""
    centres = unit(RNG.standard_normal((n_speakers, dim)))
    x = np.concatenate([unit(c + noise * RNG.standard_normal((per, dim)) / np.sqrt(dim)) for c in centres])
    return x.astype(np.float32), np.repeat(np.arange(n_speakers), per)


def test_speech_regions_hysteresis_bridging_and_padding():
    p = np.zeros(200, dtype=np.float32)
    p[10:40] = 0.9  # a clear span
    p[40:44] = 0.2  # above offset: still speech
    p[44:50] = 0.0
    p[50:80] = 0.9  # gap of 6 frames (0.19 s) < min_silence: bridged
    p[150:152] = 0.9  # 64 ms: too short
    p[160:170] = 0.25  # never reaches onset
    r = speech_regions(p, onset=0.5, offset=0.15, min_speech_s=0.25, min_silence_s=0.3, pad_s=0.1, duration=6.4)
    assert len(r) == 1
    assert r[0][0] == pytest.approx(10 * FRAME_S - 0.1)
    assert r[0][1] == pytest.approx(80 * FRAME_S + 0.1)
    assert speech_regions(np.zeros(0, dtype=np.float32)) == []


def test_plan_windows_cover_each_region():
    w = plan_windows([(0.0, 0.3), (1.0, 2.0), (3.0, 6.1)], window_s=1.6, hop_s=0.4, min_s=0.5)
    assert (0.0, 0.3, 0) not in w  # too short for a voice print
    assert (1.0, 2.0, 1) in w  # shorter than a window: one window of its own length
    long = [x for x in w if x[2] == 2]
    assert long[0][0] == 3.0 and long[-1][1] == pytest.approx(6.1)
    assert all(b - a == pytest.approx(1.6) for a, b, _ in long)
    assert all(s2 - s1 <= 0.4 + 1e-9 for (s1, _, _), (s2, _, _) in itertools.pairwise(long))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_cluster_finds_the_number_of_voices(k):
    x, truth = voices(k, 30)
    labels = cluster(x, threshold=0.5)
    assert labels.max() + 1 == k
    for s in range(k):  # every voice is one cluster
        assert len(set(labels[truth == s])) == 1


def test_cluster_respects_given_counts():
    x, _ = voices(3, 20)
    assert cluster(x, threshold=0.5, num_speakers=2).max() + 1 == 2
    assert cluster(x, threshold=0.5, max_speakers=2).max() + 1 == 2
    y, _ = voices(1, 20)
    assert cluster(y, threshold=0.5, min_speakers=2).max() + 1 == 2
    assert cluster(y[:1], threshold=0.5, num_speakers=3).tolist() == [0]  # one window: one speaker
    assert cluster(y[:0]).shape == (0,)


def windows_from(x, region=None, hop=0.4, length=1.6):
    n = len(x)
    start = np.arange(n) * hop
    return Windows(start, start + length, np.zeros(n, np.int64) if region is None else region, x)


def test_speaker_centroids_strided_for_long_inputs():
    x, _ = voices(2, 3000)
    w = windows_from(x)
    c = speaker_centroids(w, threshold=0.5, max_points=500)
    assert len(c) == 2
    assert np.allclose(np.linalg.norm(c, axis=1), 1, atol=1e-5)


def test_smoothing_stays_inside_regions():
    x = np.eye(4, dtype=np.float32)
    w = windows_from(x, region=np.array([0, 0, 1, 1]))
    s = smoothed(w, 1)
    assert s[1, 2] == 0 and s[2, 1] == 0  # no mixing across the region boundary
    assert s[0, 1] > 0 and s[3, 2] > 0
    assert np.allclose(smoothed(w, 1, np.array([2])), s[2])


def test_viterbi_removes_isolated_flips_and_keeps_real_changes():
    n = 100
    scores = np.zeros((n, 2), dtype=np.float32)
    scores[:50, 0], scores[50:, 1] = 0.9, 0.9
    scores[:50, 1], scores[50:, 0] = 0.6, 0.6
    scores[20] = [0.6, 0.9]  # one noisy frame
    mask = np.ones(n, dtype=bool)
    mask[70:75] = False
    raw = resegment.viterbi(scores, mask, temperature=0.05, switch=0.0)
    assert raw[20] == 1
    smooth = resegment.viterbi(scores, mask, temperature=0.05, switch=4.0)
    assert smooth[20] == 0 and (smooth[:50] == 0).all() and (smooth[50:70] == 1).all()
    assert (smooth[70:75] == -1).all() and (smooth[75:] == 1).all()


def test_overlap_needs_close_scores_for_long_enough():
    n = 40
    scores = np.tile(np.array([[0.9, 0.5]], dtype=np.float32), (n, 1))
    scores[10:20, 1] = 0.85  # close for 10 frames: overlap
    scores[30:32, 1] = 0.85  # close for 2 frames only
    labels = np.zeros(n, dtype=np.int64)
    second = resegment.overlap_labels(scores, labels, margin=0.1, floor=0.7, min_frames=4)
    assert (second[10:20] == 1).all()
    assert (second[:10] == -1).all() and (second[20:] == -1).all()


def test_overlap_of_one_voice_split_in_two_is_refused():
    """Two centroids of one voice score alike everywhere: no second speaker, however close."""
    n = 40
    centroids = np.array([[1.0, 0.0], [0.98, np.sqrt(1 - 0.98**2)]], dtype=np.float32)
    emb = np.tile(np.array([[0.9, 0.0]], dtype=np.float32), (n, 1))  # the first voice alone
    emb[10:20] = [0.8, 0.45]  # a second, different component: evidence of another voice
    scores = emb @ centroids.T
    labels = np.zeros(n, dtype=np.int64)
    loose = resegment.overlap_labels(scores, labels, margin=0.1, floor=0.7, min_frames=4)
    assert (loose[:10] == 1).all()  # without the check, the split voice overlaps itself
    second = resegment.overlap_labels(scores, labels, 0.1, 0.7, 4, centroids=centroids, excess=0.05)
    assert (second[10:20] == 1).all()
    assert (second[:10] == -1).all() and (second[20:] == -1).all()


def test_bridge_pauses_fills_a_speakers_own_short_pauses_only():
    turns = [(0.0, 2.0, 0), (2.5, 4.0, 0), (4.4, 5.0, 1), (5.3, 7.0, 0), (9.0, 10.0, 0)]
    out = resegment.bridge_pauses(turns, max_gap=1.0)
    # 2.0-2.5: a silent pause, bridged; 4.0-5.3: speaker 1 talks in it, kept; 7.0-9.0: too long
    assert out == [(0.0, 4.0, 0), (4.4, 5.0, 1), (5.3, 7.0, 0), (9.0, 10.0, 0)]
    assert resegment.bridge_pauses(turns, max_gap=0.0) == turns
    # an overlapping second-speaker turn does not block bridging when it ends before the pause
    assert resegment.bridge_pauses([(0.0, 2.0, 0), (1.0, 1.5, 1), (2.4, 3.0, 0)], 1.0) == [
        (0.0, 3.0, 0),
        (1.0, 1.5, 1),
    ]


def test_turns_from_frames_keep_region_edges():
    step = resegment.STEP
    labels = np.full(100, -1)
    labels[10:30], labels[30:50] = 0, 1
    second = np.full(100, -1)
    second[25:35] = 2
    turns = resegment.turns_from_frames(labels, second, [(10 * step - 0.01, 50 * step + 0.02)])
    assert (pytest.approx(10 * step - 0.01), pytest.approx(30 * step), 0) == turns[0]
    assert turns[1][2] == 1 and turns[1][1] == pytest.approx(50 * step + 0.02)
    assert turns[2] == (pytest.approx(25 * step), pytest.approx(35 * step), 2)


def test_named_by_first_appearance():
    turns = named([(5.0, 6.0, 3), (0.0, 1.0, 7), (2.0, 3.0, 3)])
    assert [(t.start, t.speaker) for t in turns] == [(0.0, "S1"), (2.0, "S2"), (5.0, "S2")]
    assert first_appearance(np.array([4, 4, -1, 2, 4])).tolist() == [0, 0, -1, 1, 0]


def test_mel_front_end_matches_librosa():
    librosa = pytest.importorskip("librosa")
    ref = librosa.filters.mel(sr=16000, n_fft=400, n_mels=40)
    assert np.allclose(mel_basis(), ref, atol=1e-7)
    x = RNG.standard_normal(8000).astype(np.float32) * 0.1
    expected = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=400, hop_length=160, n_mels=40).T
    assert np.allclose(mel_frames(x), expected, rtol=1e-4, atol=1e-6 * expected.max())


def test_release_drops_mapped_pages(tmp_path):
    import wave

    path = tmp_path / "a.wav"
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(16000)
        wf.writeframes((RNG.standard_normal(16000 * 60) * 1000).astype("<i2").tobytes())
    audio, _ = open_pcm(path)

    def rss_file_kb():
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("RssFile"))

    before = rss_file_kb()
    y = read(audio, 0, len(audio))
    assert y.dtype == np.float32 and len(y) == 16000 * 60
    assert rss_file_kb() - before > 1000  # the 1.9 MB file is mapped in
    release_map(audio)
    assert rss_file_kb() - before < 200
    release_map(np.zeros(10, dtype=np.int16))  # plain arrays: nothing to do


def test_simulated_conversation_has_known_turns_and_overlap():
    tone = lambda f, s: (0.3 * np.sin(2 * np.pi * f * np.arange(int(s * 16000)) / 16000)).astype(np.float32)  # noqa: E731
    pause = np.zeros(8000, dtype=np.float32)
    a = np.concatenate([tone(200, 2.0), pause, tone(220, 2.0), pause, tone(240, 1.0)])
    b = np.concatenate([tone(500, 1.8), pause, tone(520, 2.2)])
    assert len(utterances(a)) == 2  # the short tail joins the utterance before it
    mix, turns = conversation({"A": [a], "B": [b]}, seed=3, overlap_p=1.0)
    assert {t.speaker for t in turns} == {"A", "B"}
    assert turns == sorted(turns)
    assert max(t.end for t in turns) <= len(mix) / 16000
    overlapped = any(x.speaker != y.speaker and x.start < y.end and y.start < x.end for x in turns for y in turns)
    assert overlapped
    mix2, turns2 = conversation({"A": [a], "B": [b]}, seed=3, overlap_p=1.0)
    assert turns2 == turns and np.array_equal(mix, mix2)
