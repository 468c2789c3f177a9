from subvox.asr.base import Segment, Word
from subvox.asr.guards import GuardOptions, apply_guards, collapse_loops


def seg(text, nsp=0.01, lp=-0.3, cr=1.2, words=None):
    return Segment(0, 0.0, 1.0, text, words or [], lp, nsp, cr, 0.0)


def kept_texts(segments, **opts):
    kept, events = apply_guards(segments, GuardOptions(**opts))
    return [s.text for s in kept], events


def test_real_speech_is_kept():
    texts, events = kept_texts([seg("Ask not what your country can do for you.")])
    assert texts == ["Ask not what your country can do for you."] and events == []


def test_non_speech_annotations_and_laughter_are_dropped():
    texts, events = kept_texts([seg("[Music]"), seg("(laughs)"), seg("♪ ♪"), seg("Ha ha ha!"), seg("*applause*")])
    assert texts == []
    assert [e["reason"] for e in events] == [
        "non-speech annotation",
        "non-speech annotation",
        "non-speech annotation",
        "laughter",
        "non-speech annotation",
    ]


def test_whisper_no_speech_rule_and_strong_no_speech():
    texts, _ = kept_texts(
        [seg("Thank you.", nsp=0.7, lp=-1.2), seg("You", nsp=0.94, lp=-0.8), seg("Keep me.", nsp=0.7, lp=-0.2)]
    )
    assert texts == ["Keep me."]


def test_compression_ratio_drops_repetitive_segments():
    texts, events = kept_texts([seg("We will see what comes next and we will see it soon.", cr=3.1)])
    assert texts == []
    assert events == [
        {
            "start": 0.0,
            "end": 1.0,
            "action": "dropped",
            "reason": "repetitive text (compression ratio)",
            "text": "We will see what comes next and we will see it soon.",
        }
    ]


def test_loops_are_cut_back_with_their_word_timings():
    words = [Word(i * 0.5, i * 0.5 + 0.4, f" {w}", 0.9) for i, w in enumerate(["I", "said"] + ["thank", "you"] * 5)]
    s = Segment(0, 0.0, 5.0, "".join(w.word for w in words), words)
    removed = collapse_loops(s, max_repeats=3)
    assert removed == 4
    assert s.text == "I said thank you thank you thank you"
    assert s.end == words[7].end


def test_emphasis_within_the_repeat_limit_is_kept():
    s = seg("No, no, no. Not today.")
    assert collapse_loops(s, 3) == 0 and s.text == "No, no, no. Not today."


def test_ids_are_renumbered_after_drops():
    kept, _ = apply_guards([seg("One."), seg("[Music]"), seg("Two.")], GuardOptions())
    assert [s.id for s in kept] == [0, 1]
