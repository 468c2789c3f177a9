"""The review pages of a library: an overview sorted by what needs attention, and per file a
page that plays the source with its subtitles, cue list, timeline, speakers and dub.

``build`` writes them, ``records`` decides what needs attention, ``pages`` renders HTML,
``peaks`` makes waveforms, ``static/`` holds the pages' CSS and JavaScript, and ``browser``
drives a headless Chromium to check them (tests and bench only).
"""

from subvox.reports.review.build import write_report

__all__ = ["write_report"]
