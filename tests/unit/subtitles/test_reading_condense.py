"""A cue still too fast drops its disfluencies, and only it (subvox.subtitles.condense)."""

import copy
import dataclasses

from subvox.subtitles.condense import candidates, drop
from subvox.subtitles.qa import file_qa
from subvox.subtitles.segment import _W, CueLimits, segment_words
from subvox.subtitles.style import limits_for
from tests.unit.subtitles.test_segment import check_limits, segs, words

ON = dataclasses.replace(CueLimits(), condense=True)
SENTENCE = "You know, the meeting starts at nine and we never finish on time."


def ws(text):
    return [_W(k * 0.3, k * 0.3 + 0.2, t) for k, t in enumerate(text.split())]


def spans(text):
    w = ws(text)
    return [" ".join(x.text for x in w[a:b]) for a, b in candidates(w)]


def test_candidates_in_the_order_they_go():
    assert spans("Well, we had a we had a long uh problem") == ["uh", "we had a", "Well,"]
    assert spans("I I think the the answer is, you know, simple") == ["I", "the", "you know,"]


def test_what_is_not_a_disfluency_stays():
    assert spans("she had had enough and I know that that is so") == []
    assert spans("he said no. No one came") == []  # two sentences, not a stammer
    assert spans("I mean it and you know the answer") == []  # no comma: a verb, not a marker
    assert spans("it is so, well, fine") == ["well,"]  # "so," ends a clause: it opens none
    assert spans("um") == []  # a cue's only word stays


def test_drop_keeps_a_sentence_capital_and_its_full_stop():
    w = ws("Well, at the moment. It was, um.")
    assert " ".join(x.text for x in drop(w, (0, 1))) == "At the moment. It was, um."
    assert " ".join(x.text for x in drop(w, (6, 7))) == "Well, at the moment. It was."
    mid = ws("We stopped, I mean, the meeting did")
    assert " ".join(x.text for x in drop(mid, (2, 4))) == "We stopped, the meeting did"


def test_a_fast_cue_is_condensed_and_the_transcript_is_not():
    source = words(SENTENCE, step=0.22)  # 64 characters in 3.3 s: ~23 cps, no room around it
    segments = segs(source)
    kept = copy.deepcopy(segments)
    [plain] = segment_words(segments, CueLimits(), duration=source[-1]["end"])
    [cue] = segment_words(segments, ON, duration=source[-1]["end"])
    assert "fast" in plain.flags
    assert cue.text.replace("\n", " ") == "The meeting starts at nine and we never finish on time."
    assert cue.dropped == ["You know,"] and cue.flags == ["condensed"]
    assert cue.to_dict()["dropped"] == ["You know,"]
    assert segments == kept  # the transcript's words are untouched
    qa = file_qa({"duration": source[-1]["end"], "segments": segments}, [cue], ON)
    assert qa["condensed_cues"] == 1 and any("condensed" in n for n in qa["notes"])


def test_a_readable_cue_and_the_default_keep_every_word():
    slow = words(SENTENCE, step=0.3)
    cues = segment_words(segs(slow), ON, duration=slow[-1]["end"])
    check_limits(cues, slow, duration=slow[-1]["end"])
    assert not any(c.dropped for c in cues)
    fast = words(SENTENCE, step=0.22)
    check_limits(segment_words(segs(fast), CueLimits(), duration=fast[-1]["end"]), fast)


def test_only_as_much_as_the_cue_needs_goes():
    # two markers; dropping the first brings the cue under max_cps, so the second stays
    source = words("Well, I think, you know, the meeting starts at nine and ends late.", step=0.25)
    [cue] = segment_words(segs(source), ON, duration=source[-1]["end"])
    assert cue.dropped == ["Well,"]
    assert "you know," in cue.text.replace("\n", " ")


def test_other_languages_are_never_condensed():
    conf = {"condense": True}
    assert limits_for(conf, "en").condense
    assert not limits_for(conf, "de").condense
    assert not limits_for(conf, None).condense
